"""Run the demo; see ``./script/demo --help``."""

from demo.run import main

raise SystemExit(main())
