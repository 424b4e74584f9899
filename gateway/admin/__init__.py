"""Admin settings: agents, queues, topics, canned answers, labels, business hours and the widget's
look, stored in the history database and laid over the YAML's tenant in every gateway process."""
