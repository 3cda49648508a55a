"""The names of reports/data/catalog.json that the site translates, for makemessages:
the problem types (service and owner names are brands, never translated). Generated:
`python manage.py load_catalog --names` writes it again; a test fails when it is out
of date with the catalog."""

from django.utils.translation import pgettext_noop

PROBLEM_TYPES = [
    pgettext_noop("problem type", "Messages"),
    pgettext_noop("problem type", "Pictures"),
    pgettext_noop("problem type", "Voice messages"),
    pgettext_noop("problem type", "Video calls"),
    pgettext_noop("problem type", "Login"),
    pgettext_noop("problem type", "App"),
    pgettext_noop("problem type", "Website"),
    pgettext_noop("problem type", "Server connection"),
    pgettext_noop("problem type", "Video streaming"),
    pgettext_noop("problem type", "Payments"),
    pgettext_noop("problem type", "Online banking"),
    pgettext_noop("problem type", "Mobile banking"),
    pgettext_noop("problem type", "Cards"),
    pgettext_noop("problem type", "Sending email"),
    pgettext_noop("problem type", "Receiving email"),
    pgettext_noop("problem type", "Internet"),
    pgettext_noop("problem type", "Wi-Fi"),
    pgettext_noop("problem type", "Mobile internet"),
    pgettext_noop("problem type", "Phone calls"),
    pgettext_noop("problem type", "Signal (no service)"),
    pgettext_noop("problem type", "TV"),
    pgettext_noop("problem type", "Outage (total blackout)"),
    pgettext_noop("problem type", "Matchmaking"),
    pgettext_noop("problem type", "Game servers"),
    pgettext_noop("problem type", "Feed/Timeline"),
    pgettext_noop("problem type", "Posting"),
    pgettext_noop("problem type", "Notifications"),
    pgettext_noop("problem type", "Music playback"),
    pgettext_noop("problem type", "Search"),
    pgettext_noop("problem type", "Deployment/API"),
    pgettext_noop("problem type", "Storage"),
    pgettext_noop("problem type", "Console/Dashboard"),
    pgettext_noop("problem type", "Checkout/Orders"),
    pgettext_noop("problem type", "AI responses"),
    pgettext_noop("problem type", "Tickets and booking"),
    pgettext_noop("problem type", "Power cut"),
    pgettext_noop("problem type", "Tax returns"),
]
