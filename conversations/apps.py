from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Listening log"

    def ready(self) -> None:
        from conversations.directory import DIRECTORY
        from perception.lib import hooks

        hooks.register_people(DIRECTORY)
