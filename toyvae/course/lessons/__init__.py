"""The lessons, one percent-format file each. Importing a lesson module RUNS it (top to bottom, training
included): list them with :data:`toyvae.course.LESSONS`, run them with ``python -m`` or ``runpy``."""
