from joinfeedback.cli import main

raise SystemExit(main())
