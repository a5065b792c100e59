import { describe, expect, it } from 'vitest';
import { validateContent } from '../../src/detections/validate.js';
import { packWith, rows } from '../spl/datamodel/helpers.js';

const MODEL = `name: Shop
datasets:
  - name: Orders
    constraint: sourcetype=shop:order
    fields: [item, {name: qty, type: number}]
    calculations:
      - {field: status, eval: 'if(isnull(status) OR status="","unknown",status)'}
  - name: Big_Orders
    parent: Orders
    constraint: qty>10
`;

const problemsOf = (files: Record<string, string>) =>
  packWith(files)
    .problems.concat(packWith(files).knowledge.checkDataModels())
    .filter((p) => !p.file.startsWith('content/'))
    .map((p) => `${p.file.replace(/^.*vigil-content-[^/]+\//, '')}:${p.line}:${p.column}: ${p.severity} ${p.message}`);

describe('data model content', () => {
  it('resolves datasets with their inherited and calculated fields, prefixed with the root name', () => {
    const pack = packWith({ 'datamodels/Shop.yml': MODEL });
    const r = pack.dataModels.resolve('Shop', 'Big_Orders');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.dataset.prefix).toBe('Orders');
    expect(r.dataset.chain.map((d) => d.name)).toEqual(['Orders', 'Big_Orders']);
    expect(r.dataset.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['item:string', 'qty:number', 'status:string']);
    expect(pack.dataModels.resolve('Shop', 'Orders.Big_Orders').ok).toBe(true);
    expect(pack.dataModels.resolve('Shop', 'Other.Big_Orders')).toMatchObject({ ok: false, message: expect.stringContaining("Big_Orders's path is Orders.Big_Orders") });
  });

  it('bundles CIM Endpoint, Network_Traffic, Web, Email, Authentication, Change, Network_Resolution and Risk', () => {
    const pack = packWith();
    // (Other CIM models may be bundled besides.)
    expect(pack.dataModels.names()).toEqual(expect.arrayContaining(['Authentication', 'Change', 'Email', 'Endpoint', 'Network_Resolution', 'Network_Traffic', 'Risk', 'Web']));
    expect(pack.dataModels.get('Endpoint')!.datasets.map((d) => d.name)).toEqual(['Ports', 'Processes', 'Services', 'Filesystem', 'Registry']);
    expect(pack.knowledge.checkDataModels()).toEqual([]);
    const p = pack.dataModels.resolve('Endpoint', 'Processes');
    if (!p.ok) throw new Error(p.message);
    // CIM's order: the "unknown" fills, process_name after process, vendor_product last.
    expect(p.dataset.calculations.map((c) => c.output.name)).toEqual(['dest', 'loaded_file', 'original_file_name', 'parent_process', 'parent_process_name', 'parent_user', 'process', 'process_name', 'user', 'vendor_product']);
    expect(pack.dataModels.resolve('Network_Traffic', 'All_Traffic.Traffic_By_Action.Allowed_Traffic').ok).toBe(true);
  });

  it('a user directory extends a model without editing it, or replaces it by name', async () => {
    const extended = packWith({
      'datamodels/Shop.yml': MODEL,
      'datamodels/shop_more.yml': `extends: Shop
datasets:
  - name: Orders
    fields: [coupon]
    calculations:
      - {field: status, eval: 'upper(status)'}
  - name: Refunds
    parent: Orders
    constraint: status=REFUNDED
`,
    });
    const r = extended.dataModels.resolve('Shop', 'Refunds');
    if (!r.ok) throw new Error(r.message);
    expect(r.dataset.fields.map((f) => f.name)).toEqual(['item', 'qty', 'coupon', 'status']);
    expect(r.dataset.model.files.map((f) => f.replace(/^.*\//, ''))).toEqual(['Shop.yml', 'shop_more.yml']);
    // The added calculation runs after the original one, the new child sees both.
    const events = [{ _time: 1, sourcetype: 'shop:order', _raw: '{"item":"a","status":"refunded"}' }, { _time: 2, sourcetype: 'shop:order', _raw: '{"item":"b"}' }];
    expect(await rows(extended, '| tstats count from datamodel=Shop.Orders by Orders.status', events)).toEqual([
      { 'Orders.status': 'REFUNDED', count: '1' },
      { 'Orders.status': 'UNKNOWN', count: '1' },
    ]);
    expect(await rows(extended, '| tstats count from datamodel=Shop.Refunds by Orders.item', events)).toEqual([{ 'Orders.item': 'a', count: '1' }]);

    // The bundled Endpoint gets a field from a user file; a replaced Network_Traffic loses its datasets.
    const pack = packWith({
      'datamodels/endpoint_extra.yml': 'extends: Endpoint\ndatasets:\n  - name: Processes\n    fields: [pod_name]\n',
      'datamodels/nt.yml': 'name: Network_Traffic\ndatasets:\n  - name: Flows\n    constraint: tag=flow\n',
    });
    const p = pack.dataModels.resolve('Endpoint', 'Processes');
    expect(p.ok && p.dataset.fields.some((f) => f.name === 'pod_name')).toBe(true);
    expect(packWith().dataModels.resolve('Endpoint', 'Processes')).toMatchObject({ ok: true, dataset: { fields: expect.not.arrayContaining([expect.objectContaining({ name: 'pod_name' })]) } });
    expect(pack.dataModels.get('Network_Traffic')!.datasets.map((d) => d.name)).toEqual(['Flows']);
  });

  it("reads Splunk's data model JSON", async () => {
    const json = {
      modelName: 'Shop',
      displayName: 'Shop',
      objects: [
        {
          objectName: 'Big_Orders',
          parentName: 'Orders',
          fields: [],
          calculations: [],
          constraints: [{ search: 'qty>10', owner: 'Orders.Big_Orders' }],
        },
        {
          objectName: 'Orders',
          parentName: 'BaseSearch',
          baseSearch: 'sourcetype=shop:order | eval item=lower(item)',
          fields: [
            { fieldName: '_time', owner: 'BaseEvent', type: 'timestamp' },
            { fieldName: 'item', owner: 'Orders', type: 'string', multivalue: false },
            { fieldName: 'qty', owner: 'Orders', type: 'number' },
          ],
          calculations: [
            { calculationType: 'Eval', expression: 'if(isnull(status),"unknown",status)', outputFields: [{ fieldName: 'status', type: 'string' }] },
            { calculationType: 'Lookup', lookupName: 'x', outputFields: [{ fieldName: 'owner_team', type: 'string' }] },
          ],
          constraints: [],
        },
      ],
    };
    const files = { 'datamodels/Shop.json': JSON.stringify(json, null, 2) };
    expect(problemsOf(files)).toEqual([expect.stringMatching(/^datamodels\/Shop\.json:\d+:\d+: warning Lookup calculations are not supported: owner_team stay null$/)]);
    const pack = packWith(files);
    const r = pack.dataModels.resolve('Shop', 'Big_Orders');
    if (!r.ok) throw new Error(r.message);
    expect(r.dataset.chain.map((d) => d.name)).toEqual(['Orders', 'Big_Orders']);
    expect(r.dataset.fields.map((f) => f.name)).toEqual(['item', 'qty', 'owner_team', 'status']);
    const events = [{ _time: 1, sourcetype: 'shop:order', _raw: '{"item":"Big","qty":20}' }, { _time: 2, sourcetype: 'shop:order', _raw: '{"item":"Small","qty":2}' }];
    expect(await rows(pack, '| tstats count from datamodel=Shop.Big_Orders by Orders.item Orders.status', events)).toEqual([{ 'Orders.item': 'big', 'Orders.status': 'unknown', count: '1' }]);
  });

  it("reads the CIM's JSON as it ships: comments that are objects, display and editor keys, children lists", async () => {
    // Splunk_SA_CIM's <Model>.json: a dataset's "comment" is an object ({"tags": [...]}), a field's one holds its
    // description; displayName, fieldSearch, required, hidden, calculationID, editable and children are the
    // data model editor's. None of it is a problem; the dataset is a root event dataset with one constraint.
    const field = (name: string, type: string, description: string) => ({
      comment: { description, expected_values: ['a', 'b'], recommended: true },
      fieldName: name,
      displayName: name,
      type,
      fieldSearch: '',
      required: false,
      multivalue: false,
      hidden: false,
    });
    const json = {
      modelName: 'Flows',
      displayName: 'Flows',
      description: 'Flows of a test network',
      editable: false,
      objects: [
        {
          comment: { tags: ['flow', 'test'] },
          objectName: 'All_Flows',
          displayName: 'All Flows',
          parentName: 'BaseEvent',
          fields: [field('app', 'string', 'The application.'), field('bytes', 'number', 'Bytes sent.')],
          calculations: [
            {
              calculationID: 'All_Flows_fillnull_app',
              calculationType: 'Eval',
              outputFields: [{ ...field('app', 'string', 'The application.'), comment: { description: 'The application.' } }],
              expression: 'if(isnull(app) OR app="","unknown",app)',
            },
          ],
          constraints: [{ search: 'sourcetype=flow' }],
          children: [],
        },
        { comment: 'Flows that were blocked.', objectName: 'Blocked_Flows', displayName: 'Blocked', parentName: 'All_Flows', fields: [], calculations: [], constraints: [{ search: 'app=blocked*' }], children: [] },
      ],
    };
    const files = { 'datamodels/Flows.json': JSON.stringify(json, null, 2) };
    expect(problemsOf(files)).toEqual([]);
    const pack = packWith(files);
    expect(pack.dataModels.get('Flows')!.datasets.map((d) => [d.name, d.description ?? null])).toEqual([
      ['All_Flows', null],
      ['Blocked_Flows', 'Flows that were blocked.'],
    ]);
    const events = [{ _time: 1, sourcetype: 'flow', _raw: '{"bytes":5}' }, { _time: 2, sourcetype: 'flow', _raw: '{"app":"blocked-dns","bytes":7}' }];
    expect(await rows(pack, '| tstats count sum(All_Flows.bytes) as b from datamodel=Flows.All_Flows by All_Flows.app', events)).toEqual([
      { 'All_Flows.app': 'blocked-dns', count: '1', b: '7' },
      { 'All_Flows.app': 'unknown', count: '1', b: '5' },
    ]);
  });

  it("takes from Splunk's JSON only what a dataset owns: inherited fields and calculations listed with their owner run once", async () => {
    // Splunk's editor lists with a child dataset what it inherits, each with its "owner" (the dataset path that
    // declares it): the child's own are owned by "Orders.Big". A child dataset inherits its parent's fields,
    // calculated ones included (Knowledge Manager Manual, "Design data models"); the dataset search Splunk
    // builds for such a child runs each calculation once. hits counts the calculations that ran: 1.
    const f = (name: string, owner: string, type = 'string') => ({ fieldName: name, owner, type, multivalue: false, required: false, hidden: false });
    const calc = (field: string, expression: string, owner: string) => ({ calculationType: 'Eval', expression, outputFields: [f(field, owner)], owner });
    const json = {
      modelName: 'Shop',
      objects: [
        {
          objectName: 'Orders',
          parentName: 'BaseEvent',
          fields: [f('_time', 'BaseEvent', 'timestamp'), f('item', 'Orders'), f('qty', 'Orders', 'number')],
          calculations: [calc('hits', 'coalesce(hits,0)+1', 'Orders')],
          constraints: [{ owner: 'Orders', search: 'sourcetype=shop' }],
        },
        {
          objectName: 'Big',
          parentName: 'Orders',
          fields: [f('_time', 'BaseEvent', 'timestamp'), f('item', 'Orders'), f('qty', 'Orders', 'number'), f('size', 'Orders.Big')],
          calculations: [calc('hits', 'coalesce(hits,0)+1', 'Orders'), calc('size', '"big:".hits', 'Orders.Big')],
          constraints: [{ owner: 'Orders', search: 'sourcetype=shop' }, { owner: 'Orders.Big', search: 'qty>10' }],
        },
      ],
    };
    const files = { 'datamodels/Shop.json': JSON.stringify(json, null, 2) };
    expect(problemsOf(files)).toEqual([]);
    const pack = packWith(files);
    const big = pack.dataModels.get('Shop')!.datasets.find((d) => d.name === 'Big')!;
    expect({ fields: big.fields.map((x) => x.name), calculations: big.calculations.map((c) => c.output.name) }).toEqual({ fields: ['size'], calculations: ['size'] });
    const events = [{ _time: 1, sourcetype: 'shop', _raw: '{"item":"a","qty":20}' }, { _time: 2, sourcetype: 'shop', _raw: '{"item":"b","qty":2}' }];
    expect(await rows(pack, '| tstats count from datamodel=Shop.Big by Orders.item Orders.hits Orders.Big.size', events)).toEqual([
      { 'Orders.item': 'a', 'Orders.hits': '1', 'Orders.Big.size': 'big:1', count: '1' },
    ]);
  });

  it("selects in Splunk's JSON only the events that have a dataset's Required fields", async () => {
    // Knowledge Manager Manual, "Define dataset fields": a Required field means only events that contain it are
    // returned; Splunk adds its fieldSearch (`status=*`) to the dataset's search. Events: 1 has status and size,
    // 2 has status, 3 has neither.
    const f = (name: string, owner: string, required: boolean, fieldSearch = '') => ({ fieldName: name, owner, type: 'string', required, fieldSearch });
    const json = (rootParent: 'BaseEvent' | 'BaseSearch') => ({
      modelName: 'Shop',
      objects: [
        {
          objectName: 'Orders',
          parentName: rootParent,
          ...(rootParent === 'BaseSearch' ? { baseSearch: 'sourcetype=shop | eval n=1' } : {}),
          fields: [f('status', 'Orders', true, 'status=* '), f('item', 'Orders', false)],
          calculations: [{ calculationType: 'Eval', expression: '"x"', outputFields: [{ ...f('calc', 'Orders', true) }], owner: 'Orders' }],
          constraints: rootParent === 'BaseEvent' ? [{ owner: 'Orders', search: 'sourcetype=shop' }] : [],
        },
        { objectName: 'Sized', parentName: 'Orders', fields: [f('status', 'Orders', true, 'status=* '), f('size', 'Orders.Sized', true)], calculations: [], constraints: [{ owner: 'Orders', search: 'sourcetype=shop' }] },
      ],
    });
    const events = [
      { _time: 1, sourcetype: 'shop', _raw: '{"status":"paid","size":"L","item":"a"}' },
      { _time: 2, sourcetype: 'shop', _raw: '{"status":"new","item":"b"}' },
      { _time: 3, sourcetype: 'shop', _raw: '{"item":"c"}' },
    ];
    for (const root of ['BaseEvent', 'BaseSearch'] as const) {
      const files = { 'datamodels/Shop.json': JSON.stringify(json(root), null, 2) };
      expect(problemsOf(files), root).toEqual([expect.stringMatching(/warning a calculated field that is Required does not select events here: calc is calculated/)]);
      const pack = packWith(files);
      expect(await rows(pack, '| tstats count from datamodel=Shop.Orders by Orders.item', events), root).toEqual([
        { 'Orders.item': 'a', count: '1' },
        { 'Orders.item': 'b', count: '1' },
      ]);
      expect(await rows(pack, '| tstats count from datamodel=Shop.Sized by Orders.item', events), root).toEqual([{ 'Orders.item': 'a', count: '1' }]);
    }
  });

  it('reports a definition that does not parse at its file and line', () => {
    // YAML syntax: where the parser notices it (the unclosed flow sequence, at the end of the file).
    expect(problemsOf({ 'datamodels/Shop.yml': 'name: Shop\ndatasets:\n  - name: Orders\n    constraint: [a\n' })).toEqual([
      'datamodels/Shop.yml:5:1: error Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(
      problemsOf({
        'datamodels/Shop.yml': `name: Shop
datasets:
  - name: Orders
    constrant: sourcetype=x
    fields: [{name: qty, type: integer}]
  - name: Big
    parent: Nope
  - name: Bad.Name
`,
      }),
    ).toEqual([
      'datamodels/Shop.yml:4:16: error unknown key "constrant" (expected name, parent, constraint, base_search, description, fields, calculations)',
      'datamodels/Shop.yml:5:32: error unknown field type "integer" (types: string, number, boolean, ipv4, timestamp, childcount, objectcount)',
      'datamodels/Shop.yml:7:13: error parent dataset "Nope" must be defined before "Big" in this file',
      'datamodels/Shop.yml:8:11: error "Bad.Name" is not a dataset name (letters, digits and _; no dots: they separate dataset paths)',
    ]);
    // Searches and evals are compiled: an error points into the expression, at its line in the file.
    expect(
      problemsOf({
        'datamodels/Shop.yml': `name: Shop
datasets:
  - name: Orders
    constraint: sourcetype=shop:order
    calculations:
      - field: total
        eval: >-
          qty *
          nosuchfn(price)
  - name: Late
    parent: Orders
    constraint: status=late | head 1
`,
      }),
    ).toEqual([
      'datamodels/Shop.yml:9:11: error data model Shop dataset Orders calculation total: unsupported eval function nosuchfn() [SPL_UNSUPPORTED_FUNCTION]',
      'datamodels/Shop.yml:12:31: error data model Shop dataset Late: this search cannot have commands (|): it is a search expression [SPL_BAD_ARGUMENT]',
    ]);
    expect(problemsOf({ 'datamodels/x.yml': 'extends: Nope\ndatasets: []\n' })).toEqual([expect.stringMatching(/^datamodels\/x\.yml:1:1: error extends: no data model named "Nope"/)]);
  });

  it('vigil validate reports data model problems', () => {
    const pack = packWith({ 'datamodels/Shop.yml': 'name: Shop\ndatasets:\n  - name: Orders\n    constraint: (`no_such_macro`) x=1\n' });
    const report = validateContent(pack);
    expect(report.problems.filter((p) => p.file.endsWith('Shop.yml')).map((p) => [p.line, p.column, p.code, p.message])).toEqual([
      [4, 18, 'SPL', 'data model Shop dataset Orders: unknown macro `no_such_macro` [SPL_UNKNOWN_MACRO]'],
    ]);
  });
});

describe('event type content', () => {
  it('a user file replaces an event type by name, or disables it', async () => {
    const events = [{ _time: 1, sourcetype: 'cisco:isovalent:processExec', _raw: '{"process_exec":{"process":{"binary":"/bin/id","pid":1}}}' }];
    expect(await rows(packWith(), '* | table tag', events)).toEqual([{ tag: ['process', 'report'] }]);
    expect(await rows(packWith({ 'eventtypes/x.yml': 'name: cisco_isovalent_process_exec\nsearch: sourcetype=cisco:isovalent:processExec\ntags: [exec]\n' }), '* | table tag', events)).toEqual([{ tag: 'exec' }]);
    expect(await rows(packWith({ 'eventtypes/x.yml': 'name: cisco_isovalent_process_exec\ndisabled: true\n' }), '* | table _time tag', events)).toEqual([{ _time: '1' }]);
  });

  it('reports a search that does not parse, and cycles, at their file and line', () => {
    expect(problemsOf({ 'eventtypes/bad.yml': 'name: bad\nsearch: x=(1\ntags: [a]\n' })).toEqual([expect.stringMatching(/^eventtypes\/bad\.yml:2:\d+: error event type bad: .*\[SPL_SYNTAX\]$/)]);
    expect(
      problemsOf({
        'eventtypes/a.yml': 'name: a\nsearch: tag=b_tag\ntags: [a_tag]\n',
        'eventtypes/b.yml': 'name: b\nsearch: tag=a_tag\ntags: [b_tag]\n',
      }),
    ).toEqual([expect.stringMatching(/^eventtypes\/a\.yml:2:9: error event type a: its tag=\/eventtype= references form a cycle/), expect.stringMatching(/^eventtypes\/b\.yml:2:9: error event type b: /)]);
    expect(problemsOf({ 'eventtypes/t.yml': 'name: t\nsearch: x=1 earliest=-1d\n' })).toEqual([expect.stringMatching(/^eventtypes\/t\.yml:2:13: error event type t: earliest= has no meaning in a definition/)]);
  });
});
