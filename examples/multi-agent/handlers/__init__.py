"""Local handlers of the multi-agent example's Lambdas."""
