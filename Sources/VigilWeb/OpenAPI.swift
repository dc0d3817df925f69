/// The OpenAPI 3.1 document of `/api/…`, served at `/api/openapi.json`. Written by hand beside the routes
/// (a generator would need the spec first and a build plugin; the API is six reads). A test checks that
/// every route it names answers, and every `/api/` route is in it.
enum OpenAPIDocument {
    static let json = """
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Vigil reports",
            "version": "1",
            "description": "Read-only reports of coordinated vigils, protests and petition deliveries at diplomatic missions. The reporter's view: counts of 1 to 4 people are the string \\"<5\\", and a count that would let one be worked out is the string \\"withheld\\". Every response carries behindLog: how far each read model is behind the event log."
          },
          "paths": {
            "/api/campaigns": {
              "get": { "summary": "Every campaign with its figures", "operationId": "listCampaigns",
                "responses": { "200": { "description": "Campaigns", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CampaignList" } } } },
                               "400": { "$ref": "#/components/responses/Problem" } } }
            },
            "/api/campaigns/{id}": {
              "get": { "summary": "One campaign with its figures", "operationId": "getCampaign",
                "parameters": [ { "$ref": "#/components/parameters/Id" } ],
                "responses": { "200": { "description": "The campaign", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CampaignOne" } } } },
                               "400": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" } } }
            },
            "/api/campaigns/{id}/day": {
              "get": { "summary": "A day of action: every gathering in the order it starts, with its local time and delivery outcome", "operationId": "getDay",
                "parameters": [ { "$ref": "#/components/parameters/Id" } ],
                "responses": { "200": { "description": "Gatherings", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DayList" } } } },
                               "400": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" } } }
            },
            "/api/missions": {
              "get": { "summary": "Every mission with its figures", "operationId": "listMissions",
                "parameters": [
                  { "name": "country", "in": "query", "required": false, "description": "Only missions in this country (ISO 3166 alpha-2).", "schema": { "type": "string", "pattern": "^[A-Za-z]{2}$" } },
                  { "name": "campaign", "in": "query", "required": false, "description": "Only this campaign's activity, at the missions it reached.", "schema": { "$ref": "#/components/schemas/Id" } }
                ],
                "responses": { "200": { "description": "Missions", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/MissionList" } } } },
                               "400": { "$ref": "#/components/responses/Problem" } } }
            },
            "/api/upcoming": {
              "get": { "summary": "What is next across missions: gatherings still scheduled and weekly dates to come, in start order", "operationId": "listUpcoming",
                "parameters": [ { "name": "days", "in": "query", "required": false, "description": "How many days ahead (1 to 366; 14 when absent).", "schema": { "type": "integer", "minimum": 1, "maximum": 366 } } ],
                "responses": { "200": { "description": "Gatherings to come", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/UpcomingList" } } } },
                               "400": { "$ref": "#/components/responses/Problem" } } }
            },
            "/api/missions/{id}": {
              "get": { "summary": "One mission in full", "operationId": "getMission",
                "parameters": [ { "$ref": "#/components/parameters/Id" } ],
                "responses": { "200": { "description": "The mission", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/MissionOne" } } } },
                               "400": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" } } }
            }
          },
          "components": {
            "parameters": {
              "Id": { "name": "id", "in": "path", "required": true, "schema": { "$ref": "#/components/schemas/Id" } }
            },
            "responses": {
              "Problem": { "description": "What was wrong", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
            },
            "schemas": {
              "Id": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$" },
              "Count": { "description": "A count of people: exact, or \\"<5\\", or \\"withheld\\".", "oneOf": [ { "type": "integer" }, { "type": "string", "enum": ["<5", "withheld"] } ] },
              "Problem": { "type": "object", "required": ["status", "error"], "properties": { "status": { "type": "integer" }, "error": { "type": "string" } } },
              "Lag": { "type": "object", "required": ["projection", "eventsBehind", "secondsBehind", "checkpoint", "quarantined"],
                "properties": { "projection": { "type": "string" }, "eventsBehind": { "type": "integer" }, "secondsBehind": { "type": "number" },
                                "checkpoint": { "type": "string" }, "quarantined": { "type": "integer" } } },
              "Figures": { "type": "object", "properties": {
                "gatheringsScheduled": { "type": "integer" }, "gatheringsHeld": { "type": "integer" }, "gatheringsCancelled": { "type": "integer" },
                "gatheringsNotHeld": { "type": "integer" }, "weeklyHeld": { "type": "integer" },
                "attendanceExpected": { "$ref": "#/components/schemas/Count" }, "attendanceReported": { "$ref": "#/components/schemas/Count" },
                "deliveriesAccepted": { "type": "integer" }, "deliveriesRefused": { "type": "integer" }, "deliveriesBlocked": { "type": "integer" },
                "deliveriesNobodyCameOut": { "type": "integer" }, "readings": { "type": "integer" }, "namesRead": { "type": "integer" },
                "coverage": { "type": "integer" }, "noShows": { "type": "integer" } } },
              "Campaign": { "type": "object", "required": ["campaign", "figures"], "properties": {
                "campaign": { "type": "object", "required": ["campaignId", "title", "status"], "properties": {
                  "campaignId": { "$ref": "#/components/schemas/Id" }, "title": { "type": "string" }, "coalition": { "type": "string" },
                  "addressee": { "type": "string" }, "annualDay": { "type": ["string", "null"] }, "status": { "type": "string" },
                  "launchedAt": { "type": "string", "format": "date-time" } } },
                "figures": { "$ref": "#/components/schemas/Figures" }, "missionsReached": { "type": "integer" }, "citiesReached": { "type": "integer" },
                "countriesReached": { "type": "integer" }, "countries": { "type": "array", "items": { "type": "string" } },
                "endorsementsCurrent": { "type": "integer" },
                "signatures": { "type": "object", "properties": { "total": { "$ref": "#/components/schemas/Count" }, "online": { "$ref": "#/components/schemas/Count" },
                  "paper": { "$ref": "#/components/schemas/Count" }, "byCountry": { "type": "object", "additionalProperties": { "$ref": "#/components/schemas/Count" } } } } } },
              "Mission": { "type": "object", "required": ["mission", "figures"], "properties": {
                "mission": { "type": "object", "required": ["missionId", "name", "city", "country", "timeZone", "status"], "properties": {
                  "missionId": { "$ref": "#/components/schemas/Id" }, "name": { "type": "string" }, "kind": { "type": "string" },
                  "sendingState": { "type": "string" }, "city": { "type": "string" }, "country": { "type": "string" }, "timeZone": { "type": "string" },
                  "address": { "type": ["string", "null"] }, "latitude": { "type": ["number", "null"] }, "longitude": { "type": ["number", "null"] },
                  "status": { "type": "string" }, "registeredAt": { "type": "string", "format": "date-time" } } },
                "figures": { "$ref": "#/components/schemas/Figures", "description": "A mission's attendance is always \\"withheld\\" here: people are counted per gathering (a day of action) and per campaign, so that a small count cannot be worked out by subtraction." }, "campaigns": { "type": "array", "items": { "type": "string" } },
                "firstHeldLocal": { "type": ["string", "null"] }, "lastHeldLocal": { "type": ["string", "null"] } } },
              "Gathering": { "type": "object", "required": ["gatheringId", "missionId", "startsAtUTC", "localStart", "timeZone", "status"], "properties": {
                "gatheringId": { "$ref": "#/components/schemas/Id" }, "missionId": { "$ref": "#/components/schemas/Id" }, "city": { "type": "string" },
                "country": { "type": "string" }, "kind": { "type": "string" }, "status": { "type": "string", "enum": ["scheduled", "held", "cancelled", "not-held"] },
                "timeZone": { "type": "string" }, "localStart": { "type": "string", "description": "The wall time at the place, 2004-12-22 12:00." },
                "startsAtUTC": { "type": "string", "format": "date-time" }, "venue": { "type": ["string", "null"] },
                "attendanceExpected": { "$ref": "#/components/schemas/Count" }, "attendanceReported": { "oneOf": [ { "$ref": "#/components/schemas/Count" }, { "type": "null" } ] },
                "delivery": { "type": ["string", "null"], "enum": ["accepted", "refused", "blocked", "nobody-came-out", null] } } },
              "Upcoming": { "type": "object", "required": ["id", "weekly", "startsAtUTC", "localStart", "timeZone", "missionId"], "properties": {
                "id": { "$ref": "#/components/schemas/Id" }, "weekly": { "type": "boolean" }, "startsAtUTC": { "type": "string", "format": "date-time" },
                "localStart": { "type": "string" }, "timeZone": { "type": "string" }, "missionId": { "$ref": "#/components/schemas/Id" },
                "city": { "type": "string" }, "country": { "type": "string" }, "kind": { "type": "string" },
                "campaignId": { "type": ["string", "null"] }, "venue": { "type": ["string", "null"] } } },
              "UpcomingList": { "type": "object", "required": ["rows", "behindLog", "view"], "properties": { "rows": { "type": "array", "items": { "$ref": "#/components/schemas/Upcoming" } }, "behindLog": { "type": "array", "items": { "$ref": "#/components/schemas/Lag" } }, "view": { "type": "string" } } },
              "CampaignList": { "type": "object", "required": ["rows", "behindLog", "view"], "properties": { "rows": { "type": "array", "items": { "$ref": "#/components/schemas/Campaign" } }, "behindLog": { "type": "array", "items": { "$ref": "#/components/schemas/Lag" } }, "view": { "type": "string" } } },
              "CampaignOne": { "type": "object", "required": ["rows", "behindLog", "view"], "properties": { "rows": { "$ref": "#/components/schemas/Campaign" }, "behindLog": { "type": "array", "items": { "$ref": "#/components/schemas/Lag" } }, "view": { "type": "string" } } },
              "DayList": { "type": "object", "required": ["rows", "behindLog", "view"], "properties": { "rows": { "type": "array", "items": { "$ref": "#/components/schemas/Gathering" } }, "behindLog": { "type": "array", "items": { "$ref": "#/components/schemas/Lag" } }, "view": { "type": "string" } } },
              "MissionList": { "type": "object", "required": ["rows", "behindLog", "view"], "properties": { "rows": { "type": "array", "items": { "$ref": "#/components/schemas/Mission" } }, "behindLog": { "type": "array", "items": { "$ref": "#/components/schemas/Lag" } }, "view": { "type": "string" } } },
              "MissionOne": { "type": "object", "required": ["rows", "behindLog", "view"], "properties": { "rows": { "$ref": "#/components/schemas/Mission" }, "behindLog": { "type": "array", "items": { "$ref": "#/components/schemas/Lag" } }, "view": { "type": "string" } } }
            }
          }
        }
        """
}
