"""The desktop front door: Qt widgets over the services. No business rules here."""
