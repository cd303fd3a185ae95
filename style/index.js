import './base.css';
import './datasets.css';
import './grid.css';
import './sample.css';
import './filters.css';
import './evaluation.css';
import './similarity.css';
import './map.css';
