"""Everything that talks to AWS through boto3: client factory, retries, waits, the live reader."""
