"""Reading data: input table files, the step artifacts, the loaded inputs of a run, and the sample company."""
