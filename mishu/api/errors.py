"""Every error leaves the API as JSON ``{"error": {"code", "message", "details"}}`` with a zh-TW message
and a stable machine code. The handlers that translate core exceptions are in ``mishu.api.handlers``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """An error with an HTTP status, a stable code and a zh-TW message."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def invalid(message: str, details: list[dict[str, Any]] | None = None) -> ApiError:
    return ApiError(422, "invalid_request", message, details)


def conflict(code: str, message: str) -> ApiError:
    return ApiError(409, code, message)


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(err: ApiError) -> JSONResponse:
    return JSONResponse(error_body(err.code, err.message, err.details), status_code=err.status,
                        headers=err.headers)


_PYDANTIC_ZH: dict[str, str] = {
    "missing": "必填欄位未提供",
    "string_type": "必須是文字",
    "string_too_short": "內容太短或未填",
    "string_too_long": "內容太長",
    "int_type": "必須是整數",
    "int_parsing": "必須是整數",
    "float_parsing": "必須是數字",
    "bool_parsing": "必須是 true 或 false",
    "bool_type": "必須是 true 或 false",
    "date_parsing": "日期格式不正確（請用 YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期格式不正確（請用 YYYY-MM-DD）",
    "datetime_parsing": "日期時間格式不正確（請用 YYYY-MM-DDTHH:MM）",
    "datetime_from_date_parsing": "日期時間格式不正確（請用 YYYY-MM-DDTHH:MM）",
    "literal_error": "不是允許的選項",
    "enum": "不是允許的選項",
    "json_invalid": "JSON 格式錯誤",
    "model_attributes_type": "必須是 JSON 物件",
    "dict_type": "必須是 JSON 物件",
    "list_type": "必須是清單",
    "extra_forbidden": "不接受這個欄位",
    "string_pattern_mismatch": "格式不正確",
    "value_error": "內容不正確",
}


def reason_zh(err: dict[str, Any]) -> str:
    etype = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if etype == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if etype in ("greater_than_equal", "greater_than"):
        return f"必須{'大於等於' if etype.endswith('equal') else '大於'} {ctx.get('ge', ctx.get('gt'))}"
    if etype in ("less_than_equal", "less_than"):
        return f"必須{'小於等於' if etype.endswith('equal') else '小於'} {ctx.get('le', ctx.get('lt'))}"
    if etype == "string_too_long" and "max_length" in ctx:
        return f"內容太長（上限 {ctx['max_length']} 字）"
    if etype == "literal_error" and "expected" in ctx:
        return f"不是允許的選項（可用：{ctx['expected']}）"
    return _PYDANTIC_ZH.get(etype, f"格式不正確（{etype}）")


def validation_details(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ())]
        out.append({"field": ".".join(loc), "message": reason_zh(e), "type": e.get("type")})
    return out


# status -> (error code, zh-TW message) for HTTP errors raised outside the routes (mishu.api.handlers)
STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "請求格式不正確"),
    401: ("unauthorized", "需要有效的 API 金鑰"),
    403: ("forbidden", "沒有權限執行這個操作"),
    404: ("not_found", "找不到這個路徑"),
    405: ("method_not_allowed", "這個路徑不支援此 HTTP 方法"),
    413: ("payload_too_large", "上傳內容太大"),
    415: ("unsupported_media_type", "不支援的內容格式"),
}
