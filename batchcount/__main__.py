from batchcount.cli import main

main()
