"""Pages of the sales app: catalogs (included by sales/urls.py under the `sales:` namespace)."""

urlpatterns = []
