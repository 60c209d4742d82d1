# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The KB catalog: Exchange Server 5.5 fixes that are registry changes, as data (format: docs/catalog.md).

A Python module rather than a YAML file because ``plugins/`` may hold only Python files (ansible-test
sanity's no-unwanted-files test), and a module ships in every build without package-data rules.
:mod:`_kb` validates every entry when it is imported, and tests/unit/plugins/plugin_utils/test_kb_catalog.py
checks the same schema.

Every field is justified by a verbatim quote of the article (line wraps joined with one space, ``[...]``
marks an elision, `` / `` separates consecutive lines of a block), read in GitHub jeffpar/kbarchive at
commit e92bde762b1e21a563dceee279473b0a44eb8075, ``kb/<first 3 digits>/Q<number>/README.md``.
"""

from __future__ import annotations

SOURCE = {
    'repository': 'jeffpar/kbarchive',
    'commit': 'e92bde762b1e21a563dceee279473b0a44eb8075',
    'path_pattern': 'kb/<first 3 digits>/Q<number>/README.md',
}

_SERVICES = 'HKLM\\SYSTEM\\CurrentControlSet\\Services'
_IS_PRIVATE = _SERVICES + '\\MSExchangeIS\\ParametersPrivate'
_IS_PUBLIC = _SERVICES + '\\MSExchangeIS\\ParametersPublic'

ENTRIES = (
    {
        'id': 'Q294406',
        'title': 'XIMS: IMAP Cannot Open Appointment Items by Using SSL',
        'source': 'kb/294/Q294406/README.md',
        'applies_to': {
            'family': '5.5',
            'min_service_pack': 4,
            'component': 'MSExchangeIS',
            # Store.exe's folder: "File: EXCHSRVR\BIN\STORE.EXE" (Q143380); "c:\exchsrvr\bin\store.exe" (Q181420).
            'files': [{'name': 'Store.exe', 'folder': 'bin', 'min_version': '5.5.2654.81'}],
        },
        'condition': {
            'input': 'owa_ssl_only',
            'description': 'Outlook Web Access is configured to use SSL only',
            'why_not_remote': 'an IIS setting of the OWA virtual directory, not a registry value; the kb module takes it '
                              'from owa_ssl_required (declared, or probed over HTTP)',
        },
        'changes': [
            {'key': _IS_PRIVATE, 'name': 'OWA Url Protocol', 'type': 'REG_SZ', 'data': 'https:'},
        ],
        'restart': {'services': [], 'as_written': None},
        'quotes': {
            'registry': [
                'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate',
                'Value name: OWA Url Protocol / Data type: Reg_SZ / Value data: https:',
                'NOTE: Data must end with a colon (:).',
            ],
            'prerequisite': [
                '| Store.exe | 5.5.2654.81 |',
                'NOTE: Because of file dependencies, this feature requires Microsoft Exchange Server version 5.5 '
                'Service Pack 4.',
            ],
            'condition': [
                'After you apply this Store.exe feature fix, if OWA is configured to use SSL only, you need to edit the '
                'registry on the Exchange Server computer.',
            ],
        },
        'notes': [
            'The article names no restart. owa_url_protocol restarts the Information Store on request because its '
            'sibling KBs do (Q178699, Q216076, Q243581); the kb module reports restart_required and restarts nothing.',
        ],
    },
    {
        'id': 'Q243581',
        'title': 'XADM: Information Store Uses Large Amount of Processor Time',
        'source': 'kb/243/Q243581/README.md',
        'applies_to': {'family': '5.5', 'min_service_pack': None, 'component': 'MSExchangeIS', 'files': []},
        # The cause is the value's state, so the test is per value (only_when): a value that is not zero is left alone.
        'condition': None,
        'changes': [
            {'key': _IS_PRIVATE, 'name': 'Background Cleanup', 'type': 'REG_DWORD', 'data': 60000,
             'only_when': {'type': 'REG_DWORD', 'data': 0}},
            {'key': _IS_PUBLIC, 'name': 'Background Cleanup', 'type': 'REG_DWORD', 'data': 60000,
             'only_when': {'type': 'REG_DWORD', 'data': 0}},
        ],
        'restart': {'services': ['MSExchangeIS'],
                    'as_written': '7. Restart the information store service and any dependent services.'},
        'quotes': {
            'condition': [
                'The following registry values are set to zero: HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\'
                'MSExchangeIS \\ParametersPublic\\Background Cleanup (value in milliseconds) '
                'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ ParametersPrivate\\Background '
                'Cleanup (value in milliseconds)',
            ],
            'registry': [
                'Set the registry entries in the "Cause" section of this article to the default of 60000 in decimal '
                '(EA60 in hexidecimal).',
                '3. On the Edit menu, click REG_DWORD, change the value to 60000 in decimal or EA60 in hexidecimal, '
                'and then click OK.',
            ],
            'restart': ['7. Restart the information store service and any dependent services.'],
        },
        'notes': [
            'The article states no service pack and no file version: it applies to every Exchange 5.5 server.',
            'Only a value that holds REG_DWORD 0 is rewritten ("the following registry values are set to zero"); '
            'a missing value or one tuned to another number is left as it is.',
            'The article wraps both paths with a stray space ("MSExchangeIS \\ParametersPublic"); the keys are '
            'written without it.',
        ],
    },
    {
        'id': 'Q195203',
        'title': 'XFOR: cc:Mail 8.01 Clients See Attachment Name Changed to Date',
        'source': 'kb/195/Q195203/README.md',
        'applies_to': {
            'family': '5.5',
            # The article names no service pack ("obtain the latest service pack"; keyword exc55sp2fix only):
            # the two file versions decide.
            'min_service_pack': None,
            'component': 'MSExchangeCCMC',
            'files': [
                {'name': 'Ccmc.exe', 'folder': 'connect\\ccmail\\bin', 'min_version': '5.5.2424.0'},
                {'name': 'Ccmsg.dll', 'folder': 'res', 'min_version': '5.5.2424.0'},
            ],
        },
        'condition': {
            'input': 'ccmail_801_clients',
            'description': 'recipients read mail from the cc:Mail Connector with the cc:Mail 8.01 client',
            'why_not_remote': 'the cc:Mail client version is on the cc:Mail users\' machines, not on the Exchange server',
        },
        'changes': [
            {'key': _SERVICES + '\\MSExchangeCCMC\\Parameters', 'name': 'Version 8 Attachment Format',
             'type': 'REG_DWORD', 'data': 1},
        ],
        'restart': {'services': ['MSExchangeCCMC'], 'as_written': '5. Restart the CCMail Connector Service.'},
        'quotes': {
            'condition': [
                'When you send an e-mail message containing an attachment from Exchange Server 5.5 through the cc:Mail '
                'Connector, users receiving and viewing it with the cc:Mail version 8.01 client see a date stamp '
                'instead of the attachment file name.',
            ],
            'prerequisite': [
                'Component: Exchange Connector for Lotus cc:Mail / File Name   Version / ---------------------- / '
                'Ccmc.exe    5.5.2424.0 / Ccmsg.dll   5.5.2424.0',
                'Ccmc.exe: Exchsrvr\\Connect\\Ccmail\\bin Ccmsg.dll: Exchsrvr\\Res',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services\\MSExchangeCCMC \\Parameters',
                'Value Name: Version 8 Attachment Format / Class: DWORD / Data: 1',
                'Setting the above key to 1 prevents the date and time from being appended to the attchment name. '
                '(If it is set to 0 or is not present, then there is no change in the current behavior.)',
            ],
            'restart': ['5. Restart the CCMail Connector Service.'],
        },
        'notes': [
            '"Class: DWORD" is the article\'s word for the data type REG_DWORD.',
            'The path is wrapped with a stray space ("MSExchangeCCMC \\Parameters"; "NOTE: The above registry path '
            'has been wrapped for readability"); the key is written without it.',
        ],
    },
    {
        'id': 'Q285023',
        'title': 'XCON: Internet Mail Service Does Not Follow Time to Live for DNS',
        'source': 'kb/285/Q285023/README.md',
        'applies_to': {
            'family': '5.5',
            'min_service_pack': 4,
            'component': 'MSExchangeIMC',
            # Msexcimc.exe is the service's own program: Q143380 ("MSExchangeIMC [...] File:
            # EXCHSRVR\CONNECT\MSEXCIMC\MSEXCIMC.EXE") and Q181420 ("c:\exchsrvr\connect\msexcimc\bin\msexcimc.exe")
            # disagree on the folder, so it is read where the service starts it from (its ImagePath).
            'files': [{'name': 'Msexcimc.exe', 'image_of': 'MSExchangeIMC', 'min_version': '5.5.2654.52'}],
        },
        'condition': None,
        'changes': [
            {'key': _SERVICES + '\\MSExchangeIMC\\Parameters', 'name': 'EnableTTL', 'type': 'REG_DWORD',
             'choice': {'param': 'enable_ttl',
                        'choices': {0: 'same as before: route DNS lookups are cached indefinitely',
                                    1: 'route lookups are cached up to the TTL, then looked up again; '
                                       'routes without DNS MX records are not cached'}}},
        ],
        'restart': {'services': [], 'as_written': None},
        'quotes': {
            'prerequisite': [
                'Component: Internet Mail Service',
                '| Msexcimc.exe | 5.5.2654.52 |',
                'NOTE: Because of file dependencies, this hotfix requires Microsoft Exchange Server version 5.5 '
                'Service Pack 4.',
            ],
            'registry': [
                'To give the Internet Mail Service the ability to follow TTL, you need to add the EnableTTL value to '
                'the following registry key: / HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services\\MSExchangeIMC\\'
                'Parameters / Data Type: REG_DWORD / Value: 0 or 1',
                '- EnableTTL disabled (0): Same behavior as before (route DNS lookups are cached indefinitely).',
                '- EnableTTL enabled (1): Route lookups still cached up to TTL, but DNS lookup is performed again after '
                'TTL. Also, routes for which there are no DNS MX records do not get cached at all.',
            ],
        },
        'notes': [
            'The data is the administrator\'s choice ("Value: 0 or 1"): params.Q285023.enable_ttl is required, there is '
            'no default.',
            'The article states no restart.',
        ],
    },
    {
        'id': 'Q192593',
        'title': 'XFOR: Attachment File Name in 8.3 Format in cc:Mail User Inbox',
        'source': 'kb/192/Q192593/README.md',
        'applies_to': {
            'family': '5.5',
            'min_service_pack': None,          # "obtain the latest service pack"; the file versions decide
            'component': 'MSExchangeCCMC',
            # The article gives no folders; Q195203 (the same connector's files) does: Connect\Ccmail\bin and Res.
            'files': [
                {'name': 'Ccmc.exe', 'folder': 'connect\\ccmail\\bin', 'min_version': '5.5.2332'},
                {'name': 'Ccmsg.dll', 'folder': 'res', 'min_version': '5.5.2332'},
            ],
        },
        'condition': None,
        'changes': [
            {'key': _SERVICES + '\\MSExchangeCCMC\\Parameters', 'name': 'Use long filename', 'type': 'REG_DWORD', 'data': 1},
        ],
        'restart': {'services': [], 'as_written': None},
        'quotes': {
            'prerequisite': [
                'Component: cc:Mail Connector / File Name     Version / ----------------------- / Ccmc.exe      5.5.2332 / '
                'Ccmsg.dll     5.5.2332',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services\\MSExchangeCCMC \\Parameters',
                'Value Name: Use long filename / Data Type:  REG_DWORD / Value:      1',
                'NOTE: If the registry value is set to 1, the Exchange Connector for Lotus cc:Mail will send the attachment '
                'with a long file name to the cc:Mail postoffice.',
            ],
        },
        'notes': [
            'The versions have three parts (5.5.2332); they are compared as 5.5.2332.0.',
            'The article states no restart (Q195203 restarts the connector after a value under the same key).',
        ],
    },
    {
        'id': 'Q223161',
        'title': 'XADM: Information on ESE Zeroing',
        'source': 'kb/223/Q223161/README.md',
        'applies_to': {'family': '5.5', 'min_service_pack': 2, 'component': 'MSExchangeIS', 'files': []},
        'condition': {
            'input': 'zero_on_backup',
            'description': 'unused database pages are to be overwritten during online backups (ESE zeroing)',
            'why_not_remote': 'an administrator\'s choice: the article describes a feature to turn on, not a fault',
        },
        'changes': [
            {'key': _SERVICES + '\\MSExchangeIS\\ParametersSystem', 'name': 'Zero Database During Backup',
             'type': 'REG_DWORD', 'data': 1},
        ],
        'restart': {'services': ['MSExchangeIS'],
                    'as_written': 'After this change has been applied, the Microsoft Exchange Information Store service '
                                  'must be stopped and restarted for these changes to take effect.'},
        'quotes': {
            'prerequisite': [
                'This article explains ESE Zeroing, a feature first included in Microsoft Exchange Server, version 5.5 '
                'Service Pack 2.',
            ],
            'condition': [
                'ESE Zeroing is a feature designed to overwrite unused pages in the Exchange Server databases with zeroes so '
                'that the data within these unused pages cannot be recovered using conventional means.',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersSystem',
                'Name: "Zero Database During Backup" (without quotes) / Type: REG_DWORD / Value: 0x00000001.',
            ],
            'restart': [
                'After this change has been applied, the Microsoft Exchange Information Store service must be stopped and '
                'restarted for these changes to take effect.',
            ],
        },
        'notes': ['The quotation marks around the name are the article\'s delimiters ("without quotes").'],
    },
    {
        'id': 'Q194131',
        'title': 'XFOR: Disabling Inbound ESMTP Advertisement',
        'source': 'kb/194/Q194131/README.md',
        'applies_to': {'family': '5.5', 'min_service_pack': None, 'component': 'MSExchangeIMC', 'files': []},
        'condition': {
            'input': 'disable_esmtp_advertising',
            'description': 'the Internet Mail Service must stop advertising ESMTP extensions to connecting hosts',
            'why_not_remote': 'it depends on the messaging environment, network and topology, as the article says',
        },
        'changes': [
            {'key': _SERVICES + '\\MSExchangeIMC\\Parameters', 'name': 'AdvertiseSMTPExtensions', 'type': 'REG_DWORD', 'data': 0},
        ],
        'restart': {'services': ['MSExchangeIMC'], 'as_written': '5. Stop and restart the Internet Mail Service.'},
        'quotes': {
            'condition': [
                'Under specific circumstances, dependent on a customer\'s messaging environment, network, and/or topology, '
                'it may be necessary to disable automatic advertising of ESMTP extensions',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services\\MSExchangeIMC \\Parameters',
                'Value Name: "AdvertiseSMTPExtensions" / Data Type:  REG_DWORD / Value:      0',
            ],
            'restart': ['5. Stop and restart the Internet Mail Service.'],
        },
        'notes': [
            'The quotation marks around the value name are delimiters, not part of the name.',
            'The article applies to 5.0 and 5.5; the catalog applies it to 5.5 only, like every entry.',
        ],
    },
    {
        'id': 'Q258745',
        'title': 'XIMS: Internet Mail Service Displays SMTP Banner Slowly',
        'source': 'kb/258/Q258745/README.md',
        'applies_to': {'family': '5.5', 'min_service_pack': None, 'component': 'MSExchangeIMC', 'files': []},
        'condition': {
            'input': 'slow_smtp_banner',
            'description': 'the SMTP banner on port 25 is slow because of reverse DNS lookups',
            'why_not_remote': 'a symptom seen by SMTP clients (DNS servers missing or misconfigured), not a server setting',
        },
        'changes': [
            {'key': _SERVICES + '\\MSExchangeIMC\\Parameters', 'name': 'DisableReverseResolve', 'type': 'REG_DWORD', 'data': 1},
        ],
        'restart': {'services': [], 'as_written': None},
        'quotes': {
            'condition': [
                'This issue can occur because Exchange Server performs a reverse lookup on all connections. A reverse lookup '
                'may take several seconds because of a lack of or incorrectly configured Domain Name System (DNS) servers.',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services\\MSExchangeIMC\\Parameters',
                'Value Name: DisableReverseResolve / Data Type: REG_DWORD / Radix: Binary / Value: 1',
            ],
        },
        'notes': [
            '"Radix: Binary" with "Value: 1" is the number 1; the article\'s Regedit.exe steps type "1" as the value data.',
            'Side effect the article names: the upper-most Received From header keeps an address in IP form.',
            'The article states no restart.',
        ],
    },
    {
        'id': 'Q157420',
        'title': 'XFOR: Embedded Messages not Handled by MS Mail Connector',
        'source': 'kb/157/Q157420/README.md',
        'applies_to': {'family': '5.5', 'min_service_pack': None, 'component': 'MSExchangeMSMI', 'files': []},
        'condition': {
            'input': 'msmail_clients',
            'description': 'Microsoft Mail clients (not Exchange clients) receive mail through the MS Mail Connector',
            'why_not_remote': 'which clients read the MS Mail postoffice is not recorded on the Exchange server',
        },
        'changes': [
            {'key': _SERVICES + '\\MSExchangeMSMI\\Parameters', 'name': 'Non-MAPI Embedded Messages', 'type': 'REG_DWORD',
             'data': 1},
        ],
        'restart': {'services': ['MSExchangeMSMI'],
                    'as_written': '9. Stop and restart the Microsoft Mail Connector Interchange service.'},
        'quotes': {
            'condition': [
                'Note that this will not occur with any Microsoft Exchange client accessing an Microsoft Mail postoffice, '
                'and the following registry value will not be required.',
            ],
            'registry': [
                '\\System\\CurrentControlSet\\Services\\MSExchangeMSMI\\Parameters',
                '4. As the Value Name, type: / Non-MAPI Embedded Messages / 5. Select REG_DWORD as the Data Type.',
                '7. Type 1 (the numeral one) in the Data field, and make sure you click Hex in the Radix field.',
            ],
            'restart': ['9. Stop and restart the Microsoft Mail Connector Interchange service.'],
        },
        'notes': [
            'The article gives the key under "the HKEY_LOCAL_MACHINE subtree" without the hive; it is HKLM.',
            'MSExchangeMSMI is the Microsoft Mail Connector Interchange service (Q143380).',
        ],
    },
    {
        'id': 'Q185693',
        'title': 'XADM: Spinning Thread in Mad.exe During Routing Recalculation',
        'source': 'kb/185/Q185693/README.md',
        'applies_to': {'family': '5.5', 'min_service_pack': 2, 'component': 'MSExchangeMTA', 'files': []},
        'condition': {
            'input': 'routing_recalculation_spins',
            'description': 'Mad.exe spins during routing recalculation (MSExchangeSA event 5000, Gwartx.mta not updated '
                           'for 24 hours)',
            'why_not_remote': 'a symptom in Performance Monitor and the event log, which these transports do not read',
        },
        'changes': [
            {'key': _SERVICES + '\\MSExchangeMTA\\Parameters', 'name': 'RID Consistency Checking', 'type': 'REG_DWORD',
             'data': 0},
        ],
        'restart': {'services': ['MSExchangeSA', 'MSExchangeDS', 'MSExchangeIS', 'MSExchangeMTA'],
                    'as_written': '5. Restart all Exchange services.'},
        'quotes': {
            'prerequisite': [
                'Post-5.5 SP1 and 5.0 SP2 versions of the MTA have been compiled that allow the administrator to use a '
                'registry value to toggle between using the old algorithm and using the new "extra checking\\aggressive '
                'pruning" algorithm.',
                'This problem was first corrected in Exchange Server 5.5 Service Pack 2.',
            ],
            'condition': [
                'The Exchange System Attendant process (Mad.exe) shows sustained, high CPU utilization in a Performance '
                'Monitor chart view.',
                'This time stamp will not be updated over a 24-hour time period, and the following event may be logged in '
                'the Event Viewer: / Event: 5000 / Source: MSExchangeSA',
            ],
            'registry': [
                'HKLM\\System\\CurrentControlSet\\Services\\MSExchangeMTA\\Parameters RID Consistency Checking : '
                'REG_DWORD : 0',
                'NOTE: Spaces and capitalization are important. Setting the registry value to 0 (zero) disables the extra '
                'route checking.',
            ],
            'restart': ['5. Restart all Exchange services.'],
        },
        'notes': [
            'Service Pack 2 is required: a post-SP1 MTA hotfix also reads the value, but no file version identifies it, so '
            'such a server is blocked rather than guessed.',
            '"Restart all Exchange services": restart_services lists the core services of Q143380 (System Attendant, '
            'Directory, Information Store, MTA); connectors installed on the server are Exchange services too.',
        ],
    },
    {
        'id': 'Q247654',
        'title': 'XADM: Directory Replication Doesn\'t Work, Event 1171',
        'source': 'kb/247/Q247654/README.md',
        'applies_to': {'family': '5.5', 'min_service_pack': None, 'component': 'MSExchangeDS', 'files': []},
        'condition': {
            'input': 'ds_event_1171',
            'description': 'the Directory logs MSExchangeDS event 1171 (exception e0010004, -1069) and intrasite replication '
                           'does not work',
            'why_not_remote': 'an event in the application log, which these transports do not read',
        },
        'changes': [
            {'key': _SERVICES + '\\MSExchangeDS\\Parameters', 'name': 'EDB max ver pages (increment over the minimum)',
             'type': 'REG_DWORD',
             'range': {'param': 'ver_pages', 'min': 2000, 'max': 0xFFFFFFFF,
                       'unit': '16-KB pages (the article starts at 2000 and raises it in steps of 1000)'}},
        ],
        'restart': {'services': ['MSExchangeDS'],
                    'as_written': '5. Re-start the Exchange Directory Service for these changes to take effect.'},
        'quotes': {
            'condition': [
                'Intrasite replication does not work for the site naming context, and the Event Viewer application log '
                'displays the following event ID: / Event ID: 1171 / Source: MSExchangeDS',
                'This setting must be added to all Exchange Server computers in the organization that are receiving the '
                'events described in the "Symptoms" section.',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeDS\\Parameters',
                'Value Name: EDB max ver pages (increment over the minimum) / Data Type: REG_DWORD / Radix: Decimal / '
                'Value: 2000',
                'NOTE: You need to enter all the above text after "Value Name:", including the text in parentheses, exactly '
                'as it appears above.',
                'NOTE: If the value of 2,000 (default 1,000) is not adequate, increase this value in increments of 1,000.',
                'It is important to not set this value too high as you deplete the memory resources on your Exchange Server '
                'computer and potentially hinder its performance.',
            ],
            'restart': ['5. Re-start the Exchange Directory Service for these changes to take effect.'],
        },
        'notes': [
            'The data is a range: params.Q247654.ver_pages is required (2000 is the article\'s first value; no default). '
            'The article names no upper limit, only the memory it costs (ver_pages x 16 KB).',
            'The article applies to 5.0 and 5.5; the catalog applies it to 5.5 only, like every entry.',
        ],
    },
    {
        'id': 'Q184534',
        'title': 'XADM: MIME Type Extension Mapping Not Used for Attachments',
        'source': 'kb/184/Q184534/README.md',
        'applies_to': {'family': '5.5', 'min_service_pack': 2, 'component': 'MSExchangeIS', 'files': []},
        'condition': {
            'input': 'remap_extensionless_only',
            'description': 'inbound attachments without a file name extension are to get one from their MIME Content-Type, '
                           'the others keeping their names',
            'why_not_remote': 'an administrator\'s choice of how attachment names are handled ("If you still want to enable '
                              'this mechanism"), not a fault the server shows',
        },
        'changes': [
            {'key': _SERVICES + '\\MSExchangeIS\\ParametersSystem\\InternetContent', 'name': 'RemapExtension',
             'type': 'REG_DWORD', 'data': 2},
        ],
        'restart': {'services': ['MSExchangeIS'],
                    'as_written': '4. Exit the Registry Editor and restart the information store service for the change '
                                  'to take effect.'},
        'quotes': {
            'prerequisite': [
                'This problem was first corrected in Exchange Server 5.5 Service Pack 2.',
                'A new value has been defined for RemapExtension (0x2). After applying the fix mentioned above, a new '
                'registry value must be set as described below.',
            ],
            'condition': [
                'There is currently no configuration for Microsoft Exchange 5.0 SP2 and 5.5 that will preserve file name '
                'extensions for attachments with extensions, but use MIME Type mapping for attachments without extensions.',
                'If you still want to enable this mechanism, here are the instructions for adding the required registry '
                'value:',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS \\ParametersSystem\\InternetContent',
                'NOTE: The above registry key is one path; it has been wrapped for readability.',
                'Value Name: RemapExtension / Data Type: REG_DWORD / Value: 2',
                'Setting the RemapExtension to 2 causes the information store to remap the extensions based on MIME '
                'Content-Type for attachments that do not have an extension already.',
                'RemapExtension REG_DWORD 0x0 (or missing) / (Default Exchange 5.0SP2 and 5.5 behavior; don\'t remap anything '
                'regardless of extension)',
                'RemapExtension REG_DWORD 0x1 / (Old Exchange 4.0, 5.0, and 5.0 SP1 behavior, documented in Q147299; remap '
                'everything based MIME type)',
                'RemapExtension REG_DWORD 0x2 / (New behavior; remaps only those attachments with no extension.)',
            ],
            'restart': ['4. Exit the Registry Editor and restart the information store service for the change to take '
                        'effect.'],
        },
        'notes': [
            'Q182083 (kb/182/Q182083/README.md) sets the same value to 1 ("Value: 1": "restore the Exchange 4.0/5.0 '
            'behavior", every attachment renamed by its MIME type); this article sets it to 2 and lists all three meanings '
            '(0 or missing, 1, 2). One value cannot hold both, so the choice is the administrator\'s: the entry writes 2 '
            'only when params.Q184534.remap_extensionless_only is declared true, and then it also replaces a 1 set per '
            'Q182083 (the audit shows "RemapExtension is 1; must be 2" first). Declared false, the KB is not_applicable '
            'and a 1, a 0 or no value is left as it is. The catalog has no Q182083 entry: it is not a fault fix, and it '
            'asks for the behaviour this article replaces.',
            'The key InternetContent is "Go to the following key" in both articles: it is never created; a server without '
            'it is not_applicable.',
            'Service Pack 2 is required ("first corrected in Exchange Server 5.5 Service Pack 2"); the article lists no file.',
        ],
    },
    {
        'id': 'Q216162',
        'title': 'XFOR: Exchange IMS Can Suppress Generation of a Delivery Receipt',
        'source': 'kb/216/Q216162/README.md',
        'applies_to': {
            'family': '5.5',
            'min_service_pack': None,          # a post-SP2 hotfix ("PostSP2/imc-fix"); the file versions decide
            'component': 'MSExchangeIMC',
            # Imcmsg.dll is in the folder of Msexcimc.exe: Q326322 lists both in one folder ("%EXSRVROOT%\Bin\Imcmsg.dll",
            # "%EXSRVROOT%\Bin\Msexcimc.exe"), and the articles disagree on that folder's name (see Q285023), so both
            # are read where the MSExchangeIMC service's ImagePath puts its program.
            'files': [
                {'name': 'Imcmsg.dll', 'beside': 'MSExchangeIMC', 'min_version': '5.5.2539.1'},
                {'name': 'Msexcimc.exe', 'image_of': 'MSExchangeIMC', 'min_version': '5.5.2539.1'},
            ],
        },
        'condition': None,
        'changes': [
            {'key': _SERVICES + '\\MSExchangeIMC\\Parameters', 'name': 'AlwaysSuppressDR', 'type': 'REG_DWORD',
             'choice': {'param': 'always_suppress_dr',
                        'choices': {0: 'the default: delivery receipts are generated',
                                    1: 'delivery receipts to the Internet are suppressed; other auto-replies are sent'}}},
        ],
        'restart': {'services': [], 'as_written': None},
        'quotes': {
            'prerequisite': [
                'Component: Internet Mail Service',
                '| Imcmsg.dll | 5.5.2539.1 |',
                '| Msexcimc.exe | 5.5.2539.1 |',
                'This hotfix has been posted to the following Internet location as Psp2imca.zip and Psp2imci.zip: / '
                'ftp://ftp.microsoft.com/bussys/exchange/exchange-public/fixes/Eng/Exchg5.5/PostSP2/imc-fix',
            ],
            'registry': [
                'There is a new registry entry that will prevent delivery receipts from being sent to the Internet while '
                'allowing other auto-replies to be sent.',
                'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIMC\\Parameters',
                'Value Name: AlwaysSuppressDR / Data Type: REG-DWORD 1 / Value: 1 or 0',
                'Note: Set the value to 1 to suppress the generation of delivery receipts. The default value of 0 allows '
                'deliver receipts to be generated.',
            ],
        },
        'notes': [
            '"Data Type: REG-DWORD 1" is a typo: the type is REG_DWORD (the value is 1 or 0), and the entry writes REG_DWORD.',
            'The data is the administrator\'s choice ("Value: 1 or 0"): params.Q216162.always_suppress_dr is required, '
            'there is no default.',
            'No service pack is required: the fix was a post-SP2 hotfix and is in SP3 ("first corrected in Exchange Server '
            '5.5 Service Pack 3"), so the two file versions decide.',
            'The article states no restart.',
        ],
    },
    {
        'id': 'Q235627',
        'title': 'XIMS: AUTH LOGIN Must Use Base-64-Encoded User Name and Password',
        'source': 'kb/235/Q235627/README.md',
        'applies_to': {
            'family': '5.5',
            'min_service_pack': 3,
            'component': 'MSExchangeIMC',
            # Imcmsg.dll beside Msexcimc.exe, as in Q216162 (Q326322 lists both in one folder).
            'files': [
                {'name': 'Imcmsg.dll', 'beside': 'MSExchangeIMC', 'min_version': '5.5.2638.0'},
                {'name': 'Msexcimc.exe', 'image_of': 'MSExchangeIMC', 'min_version': '5.5.2638.0'},
            ],
        },
        'condition': {
            'input': 'refuse_auth_login',
            'description': 'the Internet Mail Service is to refuse AUTH commands and not advertise AUTH LOGIN (clients send '
                           'X.500 DNs, event 4183)',
            'why_not_remote': 'an administrator\'s choice, and its symptom is an event in the application log, which these '
                              'transports do not read',
        },
        'changes': [
            {'key': _SERVICES + '\\MSExchangeIMC\\Parameters', 'name': 'DisableAuth', 'type': 'REG_DWORD', 'data': 1},
        ],
        'restart': {'services': [], 'as_written': None},
        'quotes': {
            'prerequisite': [
                'Component: Internet Mail Service',
                '| Imcmsg.dll | 5.5.2638.0 |',
                '| Msexcimc.exe | 5.5.2638.0 |',
                'This feature was first included in Exchange Server 5.5 Service Pack 3.',
            ],
            'condition': [
                'If the AUTH LOGIN command is sent in this manner, the following event may appear in the event log on the '
                'Exchange Server computer, indicating that the authentication attempt was not successful: / Event ID: 4183',
                'We have modified the Internet Mail Service so it can be configured to behave in the following manner: / '
                '- AUTH commands are not accepted by the server.',
                '- When responding to an EHLO command, the server does not indicate that it supports the AUTH LOGIN command.',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIMC\\Parameters',
                'Value Name: DisableAuth / Data Type: REG_DWORD / Value: 1 (or any other non-zero value)',
            ],
        },
        'notes': [
            'The article allows "1 (or any other non-zero value)"; the entry writes 1, so a server holding another non-zero '
            'value is reported needs_change and rewritten to 1, which the article says behaves the same.',
            'The article states no restart.',
        ],
    },
    {
        'id': 'Q229089',
        'title': 'XADM: Unable to Reply All to Forwarded Post from a Public Folder',
        'source': 'kb/229/Q229089/README.md',
        'applies_to': {
            'family': '5.5',
            'min_service_pack': 3,
            'component': 'MSExchangeIS',
            # The folders are those of Q243604's file lists ("D:\Exchsrvr\Bin\Store.exe", "D:\Exchsrvr\Bin\Netif.dll",
            # "D:\Exchsrvr\Bin\Dsamain.exe", "D:\Winnt\System32\Gapi32.dll") and Q193707 ("<drive>:exchsrvr\res\mdbmsg.dll").
            # Winnt is the system root, read from CurrentVersion's SystemRoot (root: system).
            'files': [
                {'name': 'Store.exe', 'folder': 'bin', 'min_version': '5.5.2607.0'},
                {'name': 'Mdbmsg.dll', 'folder': 'res', 'min_version': '5.5.2607.0'},
                {'name': 'Gapi32.dll', 'folder': 'system32', 'root': 'system', 'min_version': '5.5.2607.0'},
                {'name': 'Netif.dll', 'folder': 'bin', 'min_version': '5.5.2607.0'},
                {'name': 'Dsamain.exe', 'folder': 'bin', 'min_version': '5.5.2600.0'},
            ],
        },
        'condition': {
            'input': 'old_forward_method',
            'description': 'posts forwarded from public folders are to become notes (IPM.Note) again, so that MAPI clients '
                           'can Reply All',
            'why_not_remote': 'an administrator\'s choice: the default since SP2 preserves the message class on purpose',
        },
        'changes': [
            {'key': _IS_PUBLIC, 'name': 'Enable Old Forward Method', 'type': 'REG_DWORD', 'data': 1},
        ],
        'restart': {'services': ['MSExchangeIS'],
                    'as_written': '4. Exit the Registry Editor, and restart the information store service for the change '
                                  'to take effect.'},
        'quotes': {
            'prerequisite': [
                'Component: Store',
                '| Store.exe | 5.5.2607.0 | / +--------------------------+ / | Mdbmsg.dll | 5.5.2607.0 | / '
                '+--------------------------+ / | Gapi32.dll | 5.5.2607.0 | / +--------------------------+ / '
                '| Netif.dll | 5.5.2607.0 | / +--------------------------+ / | Dsamain.exe | 5.5.2600.0 |',
                'This problem was first corrected in Exchange Server 5.5 Service Pack 3.',
            ],
            'condition': [
                'Some customers were relying on this transformation of the message class from IPM.Post to IPM.Note to allow '
                'MAPI clients to Reply-all to these forwarded posts.',
                'If you wish to revert the server to performing the transformation of the message class, then you must '
                'install this fix, and specify a new registry value.',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPublic',
                'Value Name: Enable Old Forward Method / Data Type: REG_DWORD / Value: 1',
                'Setting the registry value to 0 (or removing it) restores Exchange Server 5.5 to preserving the message '
                'class during the forward operation.',
            ],
            'restart': ['4. Exit the Registry Editor, and restart the information store service for the change to take '
                        'effect.'],
        },
        'notes': [
            'Gapi32.dll is in the Windows system folder (Q243604: "D:\\Winnt\\System32\\Gapi32.dll"), so it is read under the '
            'system root that HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion SystemRoot records; a server where that '
            'value cannot be read is blocked, with the reason.',
            'Dsamain.exe is the Directory\'s program and its minimum is 5.5.2600.0, not 5.5.2607.0, as the article lists it.',
        ],
    },
    {
        'id': 'Q222508',
        'title': 'XFOR: IMS Sends MIME Plain Text as HTML & Plain Text',
        'source': 'kb/222/Q222508/README.md',
        'applies_to': {
            'family': '5.5',
            'min_service_pack': None,          # a post-SP2 hotfix ("PostSP2/imc-fix"); the file versions decide
            'component': 'MSExchangeIMC',
            # Where each file is: Gapi32.dll in Winnt\System32 (Q243604), Imcmsg.dll beside Msexcimc.exe (Q326322),
            # Mdbmsg.dll in Exchsrvr\Res (Q193707), Store.exe in Exchsrvr\Bin (Q143380), Msexcimc.exe the IMC's program.
            'files': [
                {'name': 'Gapi32.dll', 'folder': 'system32', 'root': 'system', 'min_version': '5.5.2571.0'},
                {'name': 'Imcmsg.dll', 'beside': 'MSExchangeIMC', 'min_version': '5.5.2571.0'},
                {'name': 'Mdbmsg.dll', 'folder': 'res', 'min_version': '5.5.2571.0'},
                {'name': 'Msexcimc.exe', 'image_of': 'MSExchangeIMC', 'min_version': '5.5.2571.0'},
                {'name': 'Store.exe', 'folder': 'bin', 'min_version': '5.5.2571.0'},
            ],
        },
        'condition': None,
        'changes': [
            {'key': _SERVICES + '\\MSExchangeIMC\\Parameters', 'name': 'SendPlainTextAsIs', 'type': 'REG_DWORD',
             'choice': {'param': 'send_plain_text_as_is',
                        'choices': {0: 'the default: the IMS sends plain text and HTML (multipart/alternative)',
                                    1: 'plain text mail from Outlook is sent as plain text, without HTML'}}},
        ],
        'restart': {'services': ['MSExchangeIS', 'MSExchangeIMC'],
                    'as_written': '7. Restart the Microsoft Exchange Information Store service and Microsoft Exchange '
                                  'Internet Mail Service.'},
        'quotes': {
            'prerequisite': [
                'Component: Internet Mail Service',
                '| Gapi32.dll | 5.5.2571.0 | / +---------------------------+ / | Imcmsg.dll | 5.5.2571.0 | / '
                '+---------------------------+ / | Mdbmsg.dll | 5.5.2571.0 | / +---------------------------+ / '
                '| Msexcimc.exe | 5.5.2571.0 | / +---------------------------+ / | Store.exe | 5.5.2571.0 |',
                'This hotfix has been posted to the following Internet location as Psp2imca.zip and Psp2imci.zip: / '
                'ftp://ftp.microsoft.com/bussys/exchange/exchange-public/fixes/Eng/Exchg5.5/PostSP2/imc-fix',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services\\MSExchangeIMC\\Parameters',
                'Value Name: SendPlainTextAsIs / Data Type: REG_DWORD / Value: 0x0, 0x1 / Default: 0x0 (not in registry '
                'by default)',
                'After this key is set, all plain text mail generated by Outlook will be sent out as plain text without any '
                'HTML tags.',
            ],
            'restart': ['7. Restart the Microsoft Exchange Information Store service and Microsoft Exchange Internet Mail '
                        'Service.'],
        },
        'notes': [
            'The data is the administrator\'s choice ("Value: 0x0, 0x1", default 0): params.Q222508.send_plain_text_as_is '
            'is required, there is no default.',
            '"In addition to the new files noted above and the client-side updates": the article does not say which client '
            'updates, and a client is not the server these transports read, so only the server\'s five files are checked.',
            'No service pack is required: the fix was a post-SP2 hotfix and is in SP3 ("first corrected in Exchange Server '
            '5.5 Service Pack 3"), so the file versions decide.',
            'The archive\'s title reads "HTML &amp; Plain Text" (its Markdown escapes the ampersand); the title here is '
            'the decoded text.',
        ],
    },
    {
        'id': 'Q219031',
        'title': 'XADM: Default POP3 Line-Wrap Set to 72 Characters',
        'source': 'kb/219/Q219031/README.md',
        'applies_to': {
            'family': '5.5',
            'min_service_pack': None,          # a post-SP2 fix, first in SP3; the file versions decide
            'component': 'MSExchangeIS',
            # Mdbmsg.dll in Exchsrvr\Res (Q193707), Store.exe in Exchsrvr\Bin (Q143380).
            'files': [
                {'name': 'Mdbmsg.dll', 'folder': 'res', 'min_version': '5.5.2564.0'},
                {'name': 'Store.exe', 'folder': 'bin', 'min_version': '5.5.2564.0'},
            ],
        },
        'condition': {
            'input': 'pop3_plain_text_mime',
            'description': 'POP3 clients get MIME with "Provide message body as plain text", and their lines are to wrap '
                           'at another length than 72 characters',
            'why_not_remote': 'the POP3 message encoding is a directory setting of the Administrator program, not a registry '
                              'value, and the length is the administrator\'s choice',
        },
        'changes': [
            {'key': _SERVICES + '\\MSExchangeIS\\ParametersSystem', 'name': 'Pop3 Line Wrap Size', 'type': 'REG_DWORD',
             'range': {'param': 'pop3_line_wrap_size', 'min': 1, 'max': 0xFFFFFFFF,
                       'unit': 'characters (the maximum line length; the article gives no limit)'}},
        ],
        'restart': {'services': ['MSExchangeIS'],
                    'as_written': '4. Quit Registry Editor. Stop and restart the Microsoft Exchange Information Store for '
                                  'the change to take effect.'},
        'quotes': {
            'prerequisite': [
                'Component: Information Store',
                '| Mdbmsg.dll | 5.5.2564.0 | / +-------------------------+ / | Store.exe | 5.5.2564.0 |',
                'This problem was first corrected in Exchange Server 5.5 Service Pack 3.',
            ],
            'condition': [
                'When you receive a message from a Microsoft Exchange Server computer using the POP3 Internet Protocol, '
                'the message text may be wrapped after 72 characters.',
                'This behavior can be observed when the Message Encoding is set to MIME and the "Provide Message Body as '
                'plain Text" option is enabled.',
            ],
            'registry': [
                'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersSystem',
                'Value Name: Pop3 Line Wrap Size / Data Type: REG_DWORD / Value: Type the maximum line length in either '
                'decimal or hexadecimal.',
                'NOTE: The registry key is case-sensitive.',
            ],
            'restart': ['4. Quit Registry Editor. Stop and restart the Microsoft Exchange Information Store for the change '
                        'to take effect.'],
        },
        'notes': [
            'The data is a range: params.Q219031.pop3_line_wrap_size is required (the article gives neither a default nor '
            'limits; the catalog asks for 1 or more).',
            '"The registry key is case-sensitive": the value is written with the name exactly as the article spells it, '
            '"Pop3 Line Wrap Size".',
            'No service pack is required: the files of the fix are older than SP3\'s, so the file versions decide.',
        ],
    },
)
