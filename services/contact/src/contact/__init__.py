"""The contact service: its app and its command line (`contact-service serve|migrate`)."""
