from peerwork.cli import main

main()
