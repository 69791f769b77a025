from tradetrace.cli import main

main()
