"""CRM lookup (inbound enrichment): who the customer is in the tenant's CRM, for the agent's panel and
the task's priority. docs/crm.md."""
