from mockserver.interception.process import main

raise SystemExit(main())
