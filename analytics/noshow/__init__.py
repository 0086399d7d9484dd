"""The no-show model in the project: our own history as visits, versions, activation."""
