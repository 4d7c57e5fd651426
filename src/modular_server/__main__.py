from modular_server.cli import main

raise SystemExit(main())
