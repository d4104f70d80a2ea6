"""Client for the legacy order-management SOAP endpoint (to be retired)."""

import logging
from xml.etree import ElementTree as ET

import requests

log = logging.getLogger(__name__)


class SoapFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def build_envelope(action: str, fields: dict[str, str], ns: str) -> bytes:
    envelope = ET.Element(f"{{{ns}}}Envelope")
    body = ET.SubElement(envelope, f"{{{ns}}}Body")
    request = ET.SubElement(body, action)
    for name, value in fields.items():
        ET.SubElement(request, name).text = value
    return ET.tostring(envelope, xml_declaration=True, encoding="utf-8")


class LegacySoapClient:
    namespace = "http://schemas.xmlsoap.org/soap/envelope/"

    def __init__(self, endpoint: str, timeout: float = 20.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout

    def call(self, action: str, **fields: str) -> ET.Element:
        response = requests.post(
            self.endpoint,
            data=build_envelope(action, fields, self.namespace),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action},
            timeout=self.timeout,
        )
        root = ET.fromstring(response.content)
        fault = root.find(f".//{{{self.namespace}}}Fault")
        if fault is not None:
            raise SoapFault(fault.findtext("faultcode", ""), fault.findtext("faultstring", ""))
        return root

    def order_status(self, order_id: str) -> str:
        root = self.call("GetOrderStatus", OrderId=order_id)
        return root.findtext(".//Status", default="UNKNOWN")

    def cancel_order(self, order_id: str, reason: str) -> bool:
        log.info("cancelling legacy order %s", order_id)
        root = self.call("CancelOrder", OrderId=order_id, Reason=reason)
        return root.findtext(".//Result") == "OK"
