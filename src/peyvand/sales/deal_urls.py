"""Pages of the sales app: deals (included by sales/urls.py under the `sales:` namespace)."""

urlpatterns = []
