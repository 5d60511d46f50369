from remix_desktop.cli import main

raise SystemExit(main())
