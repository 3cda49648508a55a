"""The names of reports/data/catalog.json that the site translates, for makemessages:
the problem types (service and owner names are brands, never translated). Generated:
`python manage.py load_catalog --names` writes it again; a test fails when it is out
of date with the catalog."""

from django.utils.translation import pgettext_lazy

PROBLEM_TYPES = [
    pgettext_lazy("problem type", "Messages"),
    pgettext_lazy("problem type", "Pictures"),
    pgettext_lazy("problem type", "Voice messages"),
    pgettext_lazy("problem type", "Video calls"),
    pgettext_lazy("problem type", "Login"),
    pgettext_lazy("problem type", "App"),
    pgettext_lazy("problem type", "Website"),
    pgettext_lazy("problem type", "Server connection"),
    pgettext_lazy("problem type", "Video streaming"),
    pgettext_lazy("problem type", "Payments"),
    pgettext_lazy("problem type", "Online banking"),
    pgettext_lazy("problem type", "Mobile banking"),
    pgettext_lazy("problem type", "Cards"),
    pgettext_lazy("problem type", "Sending email"),
    pgettext_lazy("problem type", "Receiving email"),
    pgettext_lazy("problem type", "Internet"),
    pgettext_lazy("problem type", "Wi-Fi"),
    pgettext_lazy("problem type", "Mobile internet"),
    pgettext_lazy("problem type", "Phone calls"),
    pgettext_lazy("problem type", "Signal (no service)"),
    pgettext_lazy("problem type", "TV"),
    pgettext_lazy("problem type", "Outage (total blackout)"),
    pgettext_lazy("problem type", "Matchmaking"),
    pgettext_lazy("problem type", "Game servers"),
    pgettext_lazy("problem type", "Feed/Timeline"),
    pgettext_lazy("problem type", "Posting"),
    pgettext_lazy("problem type", "Notifications"),
    pgettext_lazy("problem type", "Music playback"),
    pgettext_lazy("problem type", "Search"),
    pgettext_lazy("problem type", "Deployment/API"),
    pgettext_lazy("problem type", "Storage"),
    pgettext_lazy("problem type", "Console/Dashboard"),
    pgettext_lazy("problem type", "Checkout/Orders"),
    pgettext_lazy("problem type", "AI responses"),
    pgettext_lazy("problem type", "Tickets and booking"),
    pgettext_lazy("problem type", "Power cut"),
    pgettext_lazy("problem type", "Tax returns"),
]
