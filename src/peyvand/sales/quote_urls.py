"""Pages of the sales app: quotes (included by sales/urls.py under the `sales:` namespace)."""

urlpatterns = []
