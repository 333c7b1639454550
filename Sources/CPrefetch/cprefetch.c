// The target's code is the inline function in include/cprefetch.h; SwiftPM needs a source file.
#include "cprefetch.h"
