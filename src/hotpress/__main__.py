from hotpress.cli import main

raise SystemExit(main())
