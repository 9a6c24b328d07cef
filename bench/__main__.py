"""Run the benchmarks; see ``./script/bench --help``."""

from bench.run import main

raise SystemExit(main())
