"""Sending mail: one SMTP delivery with yagmail, verified TLS, errors that say whether
trying again can help. (The outbox, templates and their worker join here.)"""

from w365desk.mail.smtp import MailDeliveryError, OutgoingMail, SmtpConfig, send_mail

__all__ = ["MailDeliveryError", "OutgoingMail", "SmtpConfig", "send_mail"]
