"""Pages of the sales app: orders (included by sales/urls.py under the `sales:` namespace)."""

urlpatterns = []
