from .selectors import unread_notification_count


def notifications(request):
    """What every page's header shows: the signed-in user's unread notification count."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_notification_count(user)}
