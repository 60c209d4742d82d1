# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test helpers: run fleet.py as a real subprocess, and a small hand-built WS-Man client over pywinrm."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import yaml
from pypsrp.exceptions import AuthenticationError, WSManFaultError as PsrpFault
from pypsrp.wsman import SelectorSet, WSMan
from winrm.exceptions import InvalidCredentialsError, WSManFaultError as WinrmFault
from winrm.protocol import Protocol

FLEET_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'fleet.py')
EXAMPLE_FLEET = os.path.join(os.path.dirname(FLEET_PY), 'fleets', 'example.yml')
REG_URI = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/default/StdRegProv'
CIMV2 = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/'
HKLM = 2147483650
PARAMS_KEY = 'SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
NS = {
    's': 'http://www.w3.org/2003/05/soap-envelope',
    'a': 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
    'n': 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
    'w': 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
    'xsi': 'http://www.w3.org/2001/XMLSchema-instance',
}
ACTION_GET = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get'
ACTION_ENUMERATE = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate'
ACTION_PULL = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull'
WQL = 'http://schemas.microsoft.com/wbem/wsman/1/WQL'


class Fleet:
    """A `fleet.py serve` subprocess: started in __init__ (waits for READY), stopped by stop()."""

    def __init__(self, workdir: str, fleet: dict | str, subnet: str, *, state_dir: str | None = None, extra: tuple = (), timeout: float = 60):
        os.makedirs(workdir, exist_ok=True)
        self.workdir = workdir
        if isinstance(fleet, dict):
            self.fleet_path = os.path.join(workdir, 'fleet.yml')
            with open(self.fleet_path, 'w', encoding='utf-8') as handle:
                yaml.safe_dump(fleet, handle, sort_keys=False)
        else:
            self.fleet_path = fleet
        self.inventory_path = os.path.join(workdir, 'inventory.yml')
        self.ca_path = os.path.join(workdir, 'inventory-ca.pem')
        self.state_dir = state_dir or os.path.join(workdir, 'state')
        self.stderr_path = os.path.join(workdir, 'stderr.txt')
        command = [sys.executable, FLEET_PY, 'serve', '--fleet', self.fleet_path, '--inventory', self.inventory_path,
                   '--state-dir', self.state_dir, '--subnet', subnet, *extra]
        self.started = time.monotonic()
        with open(self.stderr_path, 'w', encoding='utf-8') as stderr:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.stdout = self._wait_for('READY', timeout)
        self.startup_seconds = time.monotonic() - self.started
        with open(self.inventory_path, encoding='utf-8') as handle:
            self.inventory = yaml.safe_load(handle)
        self.hostvars = self.inventory['all']['children']['exchange55']['hosts']

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip('\n'))
        self.lines.put(None)

    def _wait_for(self, wanted: str, timeout: float) -> list[str]:
        seen, deadline = [], time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                self.process.kill()
                raise RuntimeError(f'fleet not {wanted} after {timeout}s: {seen}') from None
            if line is None:
                self.process.wait()
                with open(self.stderr_path, encoding='utf-8') as handle:
                    raise RuntimeError(f'fleet exited with {self.process.returncode}: {handle.read()}')
            seen.append(line)
            if line == wanted:
                return seen

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Send the signal and return the exit code (killing the process if it does not exit in time)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode

    def stats(self) -> dict:
        """Ask for _stats.json with SIGUSR1 and return it once rewritten."""
        path = os.path.join(self.state_dir, '_stats.json')
        before = os.stat(path).st_mtime_ns if os.path.exists(path) else None
        self.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(path) and os.stat(path).st_mtime_ns != before:
                with open(path, encoding='utf-8') as handle:
                    return json.load(handle)
            time.sleep(0.02)
        raise RuntimeError('the fleet did not write _stats.json')

    def state(self, host: str) -> dict:
        with open(os.path.join(self.state_dir, f'{host}.json'), encoding='utf-8') as handle:
            return json.load(handle)

    def rss_kib(self) -> int:
        with open(f'/proc/{self.process.pid}/status', encoding='utf-8') as handle:
            return int(handle.read().split('VmRSS:')[1].split()[0])


def envelope(action: str | None, resource_uri: str | None, body: str = '', selectors: dict | None = None, message_id: str | None = None) -> str:
    """A WS-Man request envelope built by hand (what the collection's client sends)."""
    headers = ['<a:To>http://windows-host:5985/wsman</a:To><a:ReplyTo><a:Address s:mustUnderstand="true">'
               'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>',
               '<w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>',
               f'<a:MessageID>{message_id or f"uuid:{uuid.uuid4()}"}</a:MessageID>',
               '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/><w:OperationTimeout>PT20S</w:OperationTimeout>']
    if action:
        headers.append(f'<a:Action s:mustUnderstand="true">{action}</a:Action>')
    if resource_uri:
        headers.append(f'<w:ResourceURI s:mustUnderstand="true">{resource_uri}</w:ResourceURI>')
    if selectors:
        items = ''.join(f'<w:Selector Name={quoteattr(k)}>{escape(str(v))}</w:Selector>' for k, v in selectors.items())
        headers.append(f'<w:SelectorSet>{items}</w:SelectorSet>')
    return (f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" xmlns:w="{NS["w"]}" xmlns:n="{NS["n"]}">'
            f'<s:Header>{"".join(headers)}</s:Header><s:Body>{body}</s:Body></s:Envelope>')


def local(tag: str) -> str:
    return tag.rsplit('}', 1)[-1]


def element_values(element: ET.Element) -> dict:
    """{child local name: [text, ...]} with None for xsi:nil and the inner text for <cim:Datetime>."""
    values: dict = {}
    for child in element:
        if child.get(f'{{{NS["xsi"]}}}nil') == 'true':
            text = None
        elif len(child):
            text = child[0].text
        else:
            text = child.text or ''
        values.setdefault(local(child.tag), []).append(text)
    return values


def flat(values: dict) -> dict:
    """Single-valued form of element_values()."""
    return {name: items[0] for name, items in values.items()}


class _Client:
    """What both test clients offer: invoke, reg, get and wql over one _request() primitive."""

    def _request(self, action: str, resource_uri: str, body: ET.Element | None, selectors: dict | None) -> ET.Element:
        """Send one WS-Man request and return the response envelope."""
        raise NotImplementedError

    def invoke(self, resource_uri: str, method: str, params: list | None = None, selectors: dict | None = None) -> dict:
        """Invoke a WMI method; params is [(name, value or list of values)]; returns element_values() of _OUTPUT."""
        element = ET.Element(f'{{{resource_uri}}}{method}_INPUT')
        for name, value in params or []:
            for item in value if isinstance(value, list) else [value]:
                ET.SubElement(element, f'{{{resource_uri}}}{name}').text = str(item)
        output = self._request(f'{resource_uri}/{method}', resource_uri, element, selectors).find('s:Body', NS)[0]
        assert local(output.tag) == f'{method}_OUTPUT'
        return element_values(output)

    def reg(self, method: str, key: str = PARAMS_KEY, **params) -> dict:
        """A StdRegProv call on HKLM\\<key>; keyword arguments become input parameters."""
        return self.invoke(REG_URI, method, [('hDefKey', HKLM), ('sSubKeyName', key), *params.items()])

    def get(self, class_name: str, **selectors) -> dict:
        return flat(element_values(self._request(ACTION_GET, CIMV2 + class_name, None, selectors).find('s:Body', NS)[0]))

    def wql(self, query: str, max_elements: int = 32000) -> tuple[list[dict], int]:
        """Run a WQL query with Enumerate (optimized) and Pull; returns (items, number of requests)."""
        request = ET.Element(f'{{{NS["n"]}}}Enumerate')
        ET.SubElement(request, f'{{{NS["w"]}}}OptimizeEnumeration')
        ET.SubElement(request, f'{{{NS["w"]}}}MaxElements').text = str(max_elements)
        ET.SubElement(request, f'{{{NS["w"]}}}Filter', Dialect=WQL).text = query
        response = self._request(ACTION_ENUMERATE, CIMV2 + '*', request, None).find('s:Body/n:EnumerateResponse', NS)
        items = [flat(element_values(item)) for item in response.find('w:Items', NS)]
        requests = 1
        while response.find('w:EndOfSequence', NS) is None and response.find('n:EndOfSequence', NS) is None:
            request = ET.Element(f'{{{NS["n"]}}}Pull')
            ET.SubElement(request, f'{{{NS["n"]}}}EnumerationContext').text = response.findtext('n:EnumerationContext', '', NS)
            ET.SubElement(request, f'{{{NS["n"]}}}MaxElements').text = str(max_elements)
            response = self._request(ACTION_PULL, CIMV2 + '*', request, None).find('s:Body/n:PullResponse', NS)
            requests += 1
            items.extend(flat(element_values(item)) for item in response.find('n:Items', NS))
        return items, requests


class WinrmClient(_Client):
    """pywinrm's Protocol.send_message with hand-built envelopes, as the collection's winrm transport uses it."""

    fault_type = WinrmFault
    auth_error = InvalidCredentialsError

    @staticmethod
    def fault_code(fault: WinrmFault) -> int:
        return fault.wsman_fault_code

    def __init__(self, hostvars: dict, *, password: str | None = None, timeout: int = 20):
        self.protocol = Protocol(
            f'{hostvars["ansible_winrm_scheme"]}://{hostvars["ansible_host"]}:{hostvars["ansible_port"]}/wsman',
            transport=hostvars['ansible_winrm_transport'], username=hostvars['ansible_user'],
            password=password or hostvars['ansible_password'], server_cert_validation='validate',
            ca_trust_path=hostvars.get('ansible_winrm_ca_trust_path'),
            read_timeout_sec=timeout, operation_timeout_sec=timeout - 1)

    def send(self, action: str | None, resource_uri: str | None, body: str = '', selectors: dict | None = None, message_id: str | None = None) -> ET.Element:
        """Send a hand-built envelope with this body text; returns the response envelope."""
        return ET.fromstring(self.protocol.send_message(envelope(action, resource_uri, body, selectors, message_id)))

    def _request(self, action: str, resource_uri: str, body: ET.Element | None, selectors: dict | None) -> ET.Element:
        return self.send(action, resource_uri, ET.tostring(body, encoding='unicode') if body is not None else '', selectors)


def return_value(output: dict) -> int:
    return int(output['ReturnValue'][0])


class PsrpClient(_Client):
    """pypsrp's WSMan (get, enumerate/pull, invoke): an independent second client with the same interface as WinrmClient."""

    fault_type = PsrpFault
    auth_error = AuthenticationError

    @staticmethod
    def fault_code(fault: PsrpFault) -> int:
        return fault.code

    def __init__(self, hostvars: dict, *, password: str | None = None, timeout: int = 20):
        https = hostvars['ansible_winrm_scheme'] == 'https'
        self.wsman = WSMan(
            hostvars['ansible_host'], port=hostvars['ansible_port'], username=hostvars['ansible_user'],
            password=password or hostvars['ansible_password'], ssl=https,
            auth='basic' if hostvars['ansible_winrm_transport'] == 'basic' else 'negotiate',
            cert_validation=hostvars['ansible_winrm_ca_trust_path'] if https else True,
            read_timeout=timeout, operation_timeout=timeout - 2, connection_timeout=timeout)

    def _request(self, action: str, resource_uri: str, body: ET.Element | None, selectors: dict | None) -> ET.Element:
        selector_set = None
        if selectors:
            selector_set = SelectorSet()
            for name, value in selectors.items():
                selector_set.add_option(name, str(value))
        methods = {ACTION_GET: self.wsman.get, ACTION_ENUMERATE: self.wsman.enumerate, ACTION_PULL: self.wsman.pull}
        if action in methods:      # pypsrp's get/enumerate/pull return the Body: wrap it back into an envelope
            envelope_element = ET.Element(f'{{{NS["s"]}}}Envelope')
            envelope_element.append(methods[action](resource_uri, body, selector_set=selector_set))
            return envelope_element
        return self.wsman.invoke(action, resource_uri, body, selector_set=selector_set)
