const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');

Component({
  data: { record: {}, version: null, loading: true, error: '', needLogin: false },
  methods: {
    onLoad: function (options) {
      this.recordId = Number(options.id);
      return this.reload();
    },
    reload: function () {
      const id = this.recordId;
      return page.load(this, function () {
        return api.call('recordDetail', { params: { record_id: id } }).then(function (r) {
          const versions = r.versions || [];
          return {
            record: Object.assign({}, r, { visitText: format.dateTime(r.visit_at) }),
            version: versions.length ? versions[versions.length - 1] : null
          };
        });
      });
    }
  }
});
