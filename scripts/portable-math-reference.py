#!/usr/bin/env python3
# The reference values of Tests/EngineTests/PortableMathTests.swift, computed apart from the
# Swift code: fdlibm (e_log.c, e_exp.c, k_cos.c, k_sin.c) transcribed from its C sources, and
# the correctly rounded values from mpmath at 300 bits. Needs mpmath (pip install mpmath).
# Prints, per point: the input, fdlibm's bits, the correctly rounded bits.
import struct, math
def hi(x): return struct.unpack('<Q', struct.pack('<d', x))[0] >> 32
def lo(x): return struct.unpack('<Q', struct.pack('<d', x))[0] & 0xffffffff
def mk(h,l): return struct.unpack('<d', struct.pack('<Q', (h<<32)|l))[0]
ln2_hi=6.93147180369123816490e-01; ln2_lo=1.90821492927058770002e-10; two54=1.80143985094819840000e+16
Lg1 = 6.666666666666735130e-01;Lg2 = 3.999999999940941908e-01;Lg3 = 2.857142874366239149e-01;Lg4 = 2.222219843214978396e-01;Lg5 = 1.818357216161805012e-01;Lg6 = 1.531383769920937332e-01;Lg7 = 1.479819860511658591e-01
def flog(x):
    hx=hi(x); lx=lo(x); k=0
    if hx < 0x00100000:
        k -= 54; x *= two54; hx = hi(x)
    k += (hx>>20)-1023
    hx &= 0x000fffff
    i = (hx+0x95f64)&0x100000
    x = mk(hx|(i^0x3ff00000), lo(x))
    k += (i>>20)
    f = x-1.0
    if (0x000fffff&(2+hx))<3:
        if f==0.0:
            if k==0: return 0.0
            dk=float(k); return dk*ln2_hi+dk*ln2_lo
        R = f*f*(0.5-0.33333333333333333*f)
        if k==0: return f-R
        dk=float(k); return dk*ln2_hi-((R-dk*ln2_lo)-f)
    s = f/(2.0+f); dk=float(k); z=s*s; i=hx-0x6147a; w=z*z; j=0x6b851-hx
    t1=w*(Lg2+w*(Lg4+w*Lg6)); t2=z*(Lg1+w*(Lg3+w*(Lg5+w*Lg7))); i|=j; R=t2+t1
    if i>0:
        hfsq=0.5*f*f
        if k==0: return f-(hfsq-s*(hfsq+R))
        return dk*ln2_hi-((hfsq-(s*(hfsq+R)+dk*ln2_lo))-f)
    else:
        if k==0: return f-s*(f-R)
        return dk*ln2_hi-((s*(f-R)-dk*ln2_lo)-f)
def b(x): return '0x%016X'%struct.unpack('<Q', struct.pack('<d', x))[0]

from fractions import Fraction
import mpmath
mpmath.mp.prec = 300
o_threshold=7.09782712893383973096e+02; u_threshold=-7.45133219101941108420e+02
ln2HI=[6.93147180369123816490e-01,-6.93147180369123816490e-01]; ln2LO=[1.90821492927058770002e-10,-1.90821492927058770002e-10]
invln2=1.44269504088896338700e+00; halF=[0.5,-0.5]
P1=1.66666666666666019037e-01;P2=-2.77777777770155933842e-03;P3=6.61375632143793436117e-05;P4=-1.65339022054652515390e-06;P5=4.13813679705723846039e-08
def fexp(x):
    hx=hi(x); xsb=(hx>>31)&1; hx&=0x7fffffff
    if x>o_threshold: return math.inf
    if x<u_threshold: return 0.0
    if hx>0x3fd62e42:
        if hx<0x3FF0A2B2:
            h=x-ln2HI[xsb]; l=ln2LO[xsb]; k=1-xsb-xsb
        else:
            k=int(invln2*x+halF[xsb]); t=float(k); h=x-t*ln2HI[0]; l=t*ln2LO[0]
        x=h-l
    elif hx<0x3e300000:
        return 1.0+x
    else: k=0
    t=x*x; c=x-t*(P1+t*(P2+t*(P3+t*(P4+t*P5))))
    if k==0: return 1.0-((x*c)/(c-2.0)-x)
    y=1.0-((l-(x*c)/(2.0-c))-h)
    if k>=-1021: return y*2.0**k
    return y*2.0**(k+1000)*2.0**-1000
C1=4.16666666666666019037e-02;C2=-1.38888888888741095749e-03;C3=2.48015872894767294178e-05;C4=-2.75573143513906633035e-07;C5=2.08757232129817482790e-09;C6=-1.13596475577881948265e-11
S1=-1.66666666666666324348e-01;S2=8.33333333332248946124e-03;S3=-1.98412698298579493134e-04;S4=2.75573137070700676789e-06;S5=-2.50507602534068634195e-08;S6=1.58969099521155010221e-10
def kcos(x,y):
    z=x*x; w=z*z; r=z*(C1+z*(C2+z*C3))+w*w*(C4+z*(C5+z*C6)); hz=0.5*z; w=1.0-hz
    return w+(((1.0-w)-hz)+(z*r-x*y))
def ksin(x,y):
    z=x*x; w=z*z; r=S2+z*(S3+z*S4)+z*w*(S5+z*S6); v=z*x
    return x-((z*(0.5*y-v*r)-y)-v*S1)
pio2hi=1.57079632679489655800e+00; pio2lo=6.12323399573676603587e-17
def cos2pi(u):
    frac=u-math.floor(u); t=4.0*frac; q=round(t); r=t-q
    h=r*pio2hi; err=float(Fraction(r)*Fraction(pio2hi)-Fraction(h)); l=err+r*pio2lo
    x=h+l; y=(h-x)+l
    m=int(q)&3
    return [kcos(x,y),-ksin(x,y),-kcos(x,y),ksin(x,y)][m]
def cr(v): return float(v)
print("LOG")
for x in [0.5, 2.0, 3.0, 10.0, 0.1, 1e-300, 1e300, 5e-324, 1.0000001, 0.9999999, 1 - 2**-53, 2**-53, 1.38, 1.42, 0.7, 1.4142135623730951, 123456.789, 0.001]:
    print(repr(x), b(flog(x)), b(cr(mpmath.log(mpmath.mpf(x)))))
print("EXP")
for x in [1.0, -1.0, 0.5, -0.5, 1e-10, 2.0, 10.0, -10.0, 100.0, -100.0, 700.0, -700.0, -740.0, 0.6931471805599453, 3.7, -0.3]:
    print(repr(x), b(fexp(x)), b(cr(mpmath.exp(mpmath.mpf(x)))))
print("COS")
for x in [0.0, 0.125, 0.5, 0.1, 0.3, 0.9, 1/3, 2/3, 2**-30, 0.2499999, 0.7500001, 0.123456789, 0.999]:
    print(repr(x), b(cos2pi(x)), b(cr(mpmath.cos(2*mpmath.pi*mpmath.mpf(x)))))
