"""Running a quarter: the papermill runner, report folders, the step set-up notebooks call, data checks
and the ``salesops`` command."""
