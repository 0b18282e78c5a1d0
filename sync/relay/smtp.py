"""The company's SMTP server, through the standard library's ``smtplib``.

TLS is always verified (``ssl.create_default_context``: certificate chain and host name),
against the system's authorities or ``[mail] ca_bundle``. ``starttls`` upgrades a plain
connection (port 587) and refuses to go on when the server does not offer it; ``tls``
speaks TLS from the start (port 465); ``none`` sends in clear (a relay inside the
company, without login: cop.toml refuses a login without TLS, loopback aside).

One message per recipient, so that the server's answer is about that person. Failures
come in two kinds: ``Refused`` (this message or address: the others go on) and
``ServerFailed`` (the connection, the login or the server as a whole: the run stops,
what was accepted stays accepted). Nothing is retried here: the next run retries.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType

from connector.errors import EXIT_USAGE, CopError
from sync.config.relay_out import MailConfig

CLOSING = 421  # "service not available, closing transmission channel"


class Refused(CopError):
    """The server refused this message or its recipient (the others are still sent)."""


class ServerFailed(CopError):
    """The mail server cannot be used (unreachable, TLS, gone mid-run): the run stops."""


class LoginRefused(ServerFailed):
    """The server refused the configured user and password (exit code 2, as a refused
    wiki login)."""

    exit_code = EXIT_USAGE


class SettingsMismatch(ServerFailed):
    """The server does not offer what ``[mail]`` asks of it (STARTTLS, a login): exit code
    2, a configuration error, as waiting for the next run would not change it. (A
    certificate that does not verify stays exit 1, as it is for a wiki.)"""

    exit_code = EXIT_USAGE


class SmtpSender:
    """``with SmtpSender(config, password) as server: server.send(message, to)``."""

    def __init__(self, config: MailConfig, password: str = "", *, ca_file: str = "") -> None:
        self.config = config
        self.password = password
        self.ca_file = ca_file
        self._smtp: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def __enter__(self) -> SmtpSender:
        """Connect, secure, log in. Raises ServerFailed, LoginRefused."""
        try:
            self._smtp = self._connect()
            self._login(self._smtp)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def send(self, message: EmailMessage, to: str) -> None:
        """Hand ``message`` to the server for ``to`` alone. Raises Refused (this message)
        or ServerFailed (the server: stop)."""
        if self._smtp is None:
            raise ServerFailed(f"not connected to the mail server {self.where}")
        try:
            self._smtp.send_message(message, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as error:
            code, reason = error.recipients.get(to, (0, b""))
            if code == CLOSING:
                raise self._gone(code, reason) from error
            raise Refused(f"the mail server refused {to}: {_answer(code, reason)}") from error
        except smtplib.SMTPSenderRefused as error:
            raise ServerFailed(f"the mail server {self.where} refused the sender "
                               f"{error.sender}: {_answer(error.smtp_code, error.smtp_error)}; "
                               "check [mail] from") from error
        except smtplib.SMTPDataError as error:
            if error.smtp_code == CLOSING:
                raise self._gone(error.smtp_code, error.smtp_error) from error
            raise Refused(f"the mail server refused the message to {to}: "
                          f"{_answer(error.smtp_code, error.smtp_error)}") from error
        except smtplib.SMTPNotSupportedError as error:  # e.g. an address needing SMTPUTF8
            raise Refused(f"the mail server cannot take the message to {to}: "
                          f"{error}") from error
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise ServerFailed(f"the mail server {self.where} went away: "
                               f"{_reason(error)}") from error

    def _gone(self, code: int, reason: bytes | str) -> ServerFailed:
        """421: the server is closing the connection (RFC 5321 4.2.3), whoever the
        message was for."""
        self.close()
        return ServerFailed(f"the mail server {self.where} went away: "
                            f"{_answer(code, reason)}")

    def close(self) -> None:
        """Say goodbye, ignoring a server that already left."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = ssl.create_default_context(cafile=self.ca_file or None)
        try:
            if config.security == "tls":
                return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                        context=context)
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            if config.security == "starttls":
                self._starttls(smtp, context)
            return smtp
        except ssl.SSLCertVerificationError as error:
            raise ServerFailed(f"TLS verification failed for the mail server {self.where} "
                               f"({error.verify_message}); if its certificate comes from a "
                               "private authority, set mail.ca_bundle to that authority's "
                               "file") from error
        except (smtplib.SMTPException, OSError) as error:
            raise ServerFailed(f"cannot reach the mail server {self.where}: "
                               f"{_reason(error)}") from error

    def _starttls(self, smtp: smtplib.SMTP, context: ssl.SSLContext) -> None:
        try:
            smtp.starttls(context=context)
        except smtplib.SMTPNotSupportedError as error:
            smtp.close()
            raise SettingsMismatch(f"the mail server {self.where} does not offer STARTTLS: set "
                               "mail.security (and mail.port) to what it offers") from error
        except BaseException:
            smtp.close()
            raise

    def _login(self, smtp: smtplib.SMTP) -> None:
        if not self.config.user:
            return
        try:
            smtp.login(self.config.user, self.password)
        except smtplib.SMTPAuthenticationError as error:
            raise LoginRefused(f"the mail server {self.where} refused the login of "
                               f"{self.config.user!r}: "
                               f"{_answer(error.smtp_code, error.smtp_error)}; check "
                               "mail.user and the password's variable "
                               f"({self.config.password_env})") from error
        except smtplib.SMTPNotSupportedError as error:
            raise SettingsMismatch(f"the mail server {self.where} offers no login (AUTH): "
                               "leave mail.user empty if it takes mail without one"
                               ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise ServerFailed(f"the login to the mail server {self.where} failed: "
                               f"{_reason(error)}") from error


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}".strip()


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return _answer(error.smtp_code, error.smtp_error)
    return str(error) or type(error).__name__
