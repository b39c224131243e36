"""What "how good is a model" means, shared by the benchmark (``bot.bench``) and the trainer's
evaluation and guardrail (``bot.trainer``): the evaluation sets (``datasets``) and the four-class
metrics (``metrics``). Both import it; neither imports the other."""
