def navigation(request):
    """What every page's header shows: the unread notification count."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    from peyvand.activities.selectors import unread_notification_count

    return {"unread_notifications": unread_notification_count(user)}
