"""Tests for the legacy SOAP client."""

from unittest import mock
from xml.etree import ElementTree as ET

import pytest

from integrations.legacy_soap import LegacySoapClient, SoapFault, build_envelope


def test_build_envelope_contains_fields():
    raw = build_envelope("GetOrderStatus", {"OrderId": "42"}, LegacySoapClient.namespace)
    root = ET.fromstring(raw)
    assert root.find(".//GetOrderStatus/OrderId").text == "42"


def test_order_status_parses_response():
    response = mock.Mock(content=b"<Envelope><Body><Status>SHIPPED</Status></Body></Envelope>")
    with mock.patch("integrations.legacy_soap.requests.post", return_value=response):
        client = LegacySoapClient("https://legacy.example.com/soap")
        assert client.order_status("42") == "SHIPPED"


def test_fault_is_raised():
    body = (
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
        b"<e:Fault><faultcode>Server</faultcode><faultstring>boom</faultstring></e:Fault>"
        b"</e:Body></e:Envelope>"
    )
    response = mock.Mock(content=body)
    with mock.patch("integrations.legacy_soap.requests.post", return_value=response):
        client = LegacySoapClient("https://legacy.example.com/soap")
        with pytest.raises(SoapFault) as excinfo:
            client.order_status("42")
    assert excinfo.value.code == "Server"


def test_cancel_order_reports_result():
    response = mock.Mock(content=b"<Envelope><Body><Result>OK</Result></Body></Envelope>")
    with mock.patch("integrations.legacy_soap.requests.post", return_value=response):
        client = LegacySoapClient("https://legacy.example.com/soap")
        assert client.cancel_order("42", "customer request") is True
