"""The portal service: its app and its command line (`portal-service serve|migrate`)."""
