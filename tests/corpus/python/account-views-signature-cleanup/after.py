"""HTTP views for the account area."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.models import Statement


def render_json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False)


def paginate(items: list, page: int, per_page: int) -> dict:
    start = (page - 1) * per_page
    pages = max(1, -(-len(items) // per_page))
    return {"items": items[start:start + per_page], "page": page, "pages": pages}


def health(_request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_required
def statements(request: HttpRequest) -> JsonResponse:
    page = int(request.GET.get("page", "1"))
    rows = []
    for statement in Statement.objects.filter(owner=request.user).order_by("-period"):
        rows.append(statement.as_dict())
    return render_json(paginate(rows, page=page, per_page=25))


@login_required
def statement_detail(request: HttpRequest, statement_id: int) -> JsonResponse:
    statement = Statement.objects.filter(owner=request.user, pk=statement_id).first()
    if statement is None:
        return render_json({"error": "not found"}, status=404)
    return render_json(statement.as_dict())
