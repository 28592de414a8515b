from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat")

    def ready(self) -> None:
        from chat import access, receivers, search

        receivers.connect()
        search.register()
        # Documents never imports chat: it asks chat who sees an attachment (room members).
        access.register()
