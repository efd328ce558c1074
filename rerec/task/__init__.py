"""The task: what a query asks and how an answer is read and scored — prompts, dataset rows, answer parsing and
reading, the step verifier and the ranking metrics. Training, evaluation and serving all stand on it."""
