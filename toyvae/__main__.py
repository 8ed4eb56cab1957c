"""``python -m toyvae`` is the ``toyvae`` command."""

from toyvae.cli import main

raise SystemExit(main())
