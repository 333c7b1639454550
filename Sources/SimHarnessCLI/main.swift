import ArgumentParser
SimHarnessCommand.main()
