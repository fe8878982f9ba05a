"""Plan model, differ, planner and plan-file codec. Pure: nothing here imports boto3, rich or typer."""
