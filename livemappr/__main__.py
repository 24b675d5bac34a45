from livemappr.cli import main

raise SystemExit(main())
