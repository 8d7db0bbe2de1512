"""Pages of the sales app: reports (included by sales/urls.py under the `sales:` namespace)."""

urlpatterns = []
