"""Running agents: the normalized trace model (``trace``), one turn of a conversation with its
return-of-control rounds (``session``), return-of-control resolvers (``handlers``) and which alias
an invoke calls (``target``). boto3 stays behind ``agentctl.aws.runtime``."""
