"""Local handlers of the support-bot example: the order-tools Lambda and the client-side calendar."""
