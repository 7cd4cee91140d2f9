import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { parse } from 'yaml'
import {
  attributesOf,
  parseTemplate,
  renderBody,
  renderPath,
  renderValue,
  type RenderContext,
  type Template,
  type ValueMaps,
} from '../../../src/connectors/mapping.ts'
import type { ResourceType, ScimResource } from '../../../src/scim/types.ts'

interface ContextSpec {
  id?: string
  key?: string
  resource: ScimResource
}

interface RenderCase {
  name: string
  type?: 'User' | 'Group'
  template: string
  context: string
  expect?: unknown
  undefined?: boolean
}

interface ProblemCase {
  name: string
  type?: 'User' | 'Group'
  template: string
  problems: string[]
}

interface Table {
  maps: ValueMaps
  settings: Record<string, unknown>
  contexts: Record<string, ContextSpec>
  render: RenderCase[]
  paths: RenderCase[]
  problems: ProblemCase[]
}

const table = parse(
  readFileSync(new URL('../../fixtures/connectors/mapping-cases.yaml', import.meta.url), 'utf8'),
) as Table

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

function contextOf(name: string): RenderContext {
  const spec = table.contexts[name]
  if (!spec) throw new Error(`mapping-cases.yaml has no context ${name}`)
  return { ...spec, settings: table.settings, maps: table.maps }
}

/** Parses a template that must have no problems. */
function templateOf(raw: string, type: ResourceType = 'User', maps = table.maps): Template {
  const { template, problems } = parseTemplate(raw, type, maps)
  expect(problems, `problems of ${raw}`).to.deep.equal([])
  return template
}

describe('connectors/mapping', () => {
  describe('renderValue', () => {
    for (const c of table.render) {
      it(`${c.name}: ${c.template}`, () => {
        const value = renderValue(templateOf(c.template, c.type), contextOf(c.context))
        if (c.undefined) expect(value).to.equal(undefined)
        else expect(value).to.deep.equal(c.expect)
      })
    }

    it('reads the resource it is given, not the one the template was parsed with', () => {
      const template = templateOf('{userName|lowercase}')
      const context = contextOf('bare')
      expect(renderValue(template, context)).to.equal('bare@example.com')
      expect(
        renderValue(template, { ...context, resource: { userName: 'Other@Example.com' } }),
      ).to.equal('other@example.com')
    })

    it('does not change the resource it renders', () => {
      const context = contextOf('bjensen')
      const before = JSON.stringify(context.resource)
      renderValue(templateOf('{displayName|trim|lowercase} {userName|uppercase}'), context)
      expect(JSON.stringify(context.resource)).to.equal(before)
    })
  })

  describe('renderPath', () => {
    for (const c of table.paths) {
      it(`${c.name}: ${c.template}`, () => {
        expect(renderPath(templateOf(c.template), contextOf(c.context))).to.equal(c.expect)
      })
    }
  })

  describe('renderBody', () => {
    const body = {
      email: templateOf('{userName|lowercase}'),
      firstName: templateOf('{name.givenName}'),
      lastName: templateOf('{name.familyName}'),
      status: templateOf('{active|map:status}'),
      enabled: templateOf('{active}'),
      policy: templateOf('Default'),
    }

    it('renders every field of a body template', () => {
      expect(renderBody(body, contextOf('bjensen'))).to.deep.equal({
        email: 'bjensen@example.com',
        firstName: 'Barbara',
        lastName: 'Jensen',
        status: 'active',
        enabled: true,
        policy: 'Default',
      })
    })

    it('leaves out the fields that have no value', () => {
      const rendered = renderBody(body, contextOf('given-only'))
      expect(rendered).to.deep.equal({
        email: 'ann@example.com',
        firstName: 'Ann',
        status: 'suspended',
        enabled: false,
        policy: 'Default',
      })
      expect(rendered).not.to.have.property('lastName')
    })

    it('renders an empty body for an empty body template', () => {
      expect(renderBody({}, contextOf('bjensen'))).to.deep.equal({})
    })
  })

  describe('parseTemplate', () => {
    for (const c of table.problems) {
      it(`reports ${c.name}: ${c.template}`, () => {
        expect(parseTemplate(c.template, c.type ?? 'User', table.maps).problems).to.deep.equal(
          c.problems,
        )
      })
    }

    it('keeps the raw text and splits it into text and placeholders', () => {
      const { template } = parseTemplate('/users/{id}/x', 'User', table.maps)
      expect(template.raw).to.equal('/users/{id}/x')
      expect(template.segments).to.deep.equal([
        { text: '/users/' },
        { source: { kind: 'id' }, transforms: [] },
        { text: '/x' },
      ])
    })

    it('resolves attributes to their canonical path and keys', () => {
      const { template } = parseTemplate('{NAME.GIVENNAME|trim|map:status}', 'User', table.maps)
      expect(template.segments).to.deep.equal([
        {
          source: { kind: 'attribute', keys: ['name', 'givenName'], path: 'name.givenName' },
          transforms: [{ kind: 'trim' }, { kind: 'map', name: 'status' }],
        },
      ])
    })

    it('names settings by what follows settings.', () => {
      const { template } = parseTemplate('{settings.organizationId}', 'User', {})
      expect(template.segments).to.deep.equal([
        { source: { kind: 'setting', name: 'organizationId' }, transforms: [] },
      ])
    })

    it('refuses a value map that the given maps do not declare', () => {
      expect(parseTemplate('{active|map:status}', 'User', {}).problems).to.deep.equal([
        'unknown value map status',
      ])
    })
  })

  describe('attributesOf', () => {
    const cases: [string, string[]][] = [
      ['{userName|lowercase}', ['userName']],
      ['{name.givenName} {name.familyName}', ['name.givenName', 'name.familyName']],
      ['{USERNAME}', ['userName']],
      ['{department}', [`${ENTERPRISE}:department`]],
      ['/users/{id}?key={key}&org={settings.organizationId}', []],
      ['Default', []],
      ['{active|map:status}', ['active']],
    ]
    for (const [raw, attributes] of cases) {
      it(`lists ${JSON.stringify(attributes)} for ${raw}`, () => {
        expect(attributesOf(templateOf(raw))).to.deep.equal(attributes)
      })
    }
  })
})
